// Storage volumes (the seed's "Storage volumes"): storage is named metadata, reused for directories,
// sandbox paths and backups instead of repeating path strings.
import { project, Storage } from "hostkit";

// Volumes as plain values: HostKit.Storage.volume / directory / read_write_paths.
const blobs = Storage.volume("blobs", { path: "/srv/toys/registry/blobs", owner: "toys-registry", group: "toys-registry", mode: 0o750, backup: true });
const uploads = Storage.volume("uploads", { path: "/srv/toys/registry/uploads", owner: "toys-registry", mode: "group_dir" });
const certs = Storage.volume("certs", { path: "/srv/toys/registry/certs", owner: "root", group: "toys-registry", mode: 0o750, writable: false });

export default project("toys", (p) => {
  p.roots({ data: "/srv/toys", config: "/etc/toys" });
  p.prefixes({ user: "toys-", unit: "toys-" });

  p.service("forgejo", (s) => {
    s.account({ system: true });
    // /srv/toys/forgejo/repositories: under the data root, with a sub-path.
    s.storage("repositories", { under: "data", path: "repositories", mode: 0o750, backup: true });
    // A cache on a volume the backup operator's account owns (parents not root's: opted in).
    s.storage("cache", { under: "data", path: "cache", unsafeParents: true, rollback: "delete_if_created" });
    // /etc/toys/forgejo: secrets, read-only for the service.
    s.storage("config", { under: "config", owner: "root", group: s.serviceUser(), writable: false, secret: true, rollback: "keep" });
    s.daemon({
      name: s.unitName(),
      exec: ["/usr/local/bin/forgejo", "web", "--config", "/etc/toys/forgejo/app.ini"],
      run: { user: s.serviceUser(), group: s.serviceUser(), readWritePaths: s.writableStoragePaths() },
      isolate: { profile: "strict_web" },
    });
  });

  p.service("registry", (s) => {
    s.account({ system: true });
    for (const volume of [blobs, uploads, certs]) s.directory(...Storage.directory(volume));
    s.daemon({
      exec: ["/usr/local/bin/registry", "serve", "/etc/toys/registry/config.yml"],
      run: { readWritePaths: Storage.readWritePaths([blobs, uploads, certs]) },
      isolate: { profile: "strict_app" },
    });
  });
});
