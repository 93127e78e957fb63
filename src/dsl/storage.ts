/**
 * Storage volumes as named metadata, reusable for directories, sandbox paths and backups
 * (the seed's `HostKit.Storage`).
 */
import type { DirectoryOptions } from "./options.ts";
import type { Mode } from "../model/mode.ts";

/** A named storage volume: plain metadata reused for its directory, sandbox paths and backups. */
export interface Volume {
  /** The volume's name. @example name: "repositories" */
  name: string;
  /** Absolute path on the host. @example path: "/srv/toys/forgejo/repositories" */
  path: string;
  /** Owner of the directory. @example owner: "toys-forgejo" */
  owner?: string;
  /** Group of the directory. @example group: "toys-forgejo" */
  group?: string;
  /** Mode of the directory, in any form. @example mode: 0o750 */
  mode?: Mode;
  /** Include in backups. @example backup: true */
  backup?: boolean;
  /** Writable by the service under a read-only system (default true). @example writable: false */
  writable?: boolean;
}

export const Storage = {
  /**
   * A named volume.
   * @example
   * const repos = Storage.volume("repositories", { path: "/srv/toys/forgejo/repositories", owner: "toys-forgejo", mode: 0o750, backup: true });
   */
  volume(name: string, opts: Omit<Volume, "name">): Volume {
    return { name, ...opts };
  },
  /**
   * The directory declaration for a volume: `[path, options]`.
   * @example
   * p.directory(...Storage.directory(repos));
   */
  directory(volume: Volume): [string, DirectoryOptions] {
    const opts: DirectoryOptions = {};
    if (volume.mode !== undefined) opts.mode = volume.mode;
    if (volume.owner !== undefined) opts.owner = volume.owner;
    if (volume.group !== undefined) opts.group = volume.group;
    return [volume.path, opts];
  },
  /**
   * The writable paths of volumes, for `run: { readWritePaths }` or `isolate: { writable }`.
   * @example
   * s.daemon({ exec: ["/usr/bin/forgejo"], run: { readWritePaths: Storage.readWritePaths([repos]) } });
   */
  readWritePaths(volumes: Volume[]): string[] {
    return volumes.filter((v) => v.writable !== false).map((v) => v.path);
  },
};

/** Shorthands matching the seed's `volume`, `directory`, `read_write_paths`. */
export const volume = Storage.volume;
export const readWritePaths = Storage.readWritePaths;
