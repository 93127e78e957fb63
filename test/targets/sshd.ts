/**
 * A real OpenSSH server on loopback for tests and benches: temp host keys, temp authorized_keys, a free
 * port, `UsePAM no` (no PAM/systemd cost). Needs root and /usr/sbin/sshd (.ci/setup-sshd.sh installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SSHD = "/usr/sbin/sshd";

/** Why a real sshd cannot run here, or undefined when it can. */
export function sshdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "the test sshd needs root";
  if (!existsSync(SSHD)) return `${SSHD} is missing (run .ci/setup-sshd.sh)`;
  if (!Bun.which("ssh-keygen")) return "ssh-keygen is missing (run .ci/setup-sshd.sh)";
  return undefined;
}

export function run(argv: string[], stdin?: string): string {
  const p = Bun.spawnSync(argv, { stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin) });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${p.exitCode}): ${p.stderr.toString()}`);
  return p.stdout.toString();
}

const made: string[] = [];
/** A fresh temp dir, removed by `removeTempDirs()`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export function keygen(path: string, type: "ed25519" | "ecdsa" | "rsa" = "ed25519"): { path: string; pub: string } {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  run(["ssh-keygen", "-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", "", "-C", "hostkit-test", "-f", path]);
  return { path, pub: readFileSync(`${path}.pub`, "utf8").trim() };
}

export const HOST_KEY_TYPES = ["ed25519", "ecdsa", "rsa"] as const;
export type HostKeyType = (typeof HOST_KEY_TYPES)[number];

/** Generate (or regenerate) the three host keys in `dir`. */
export function hostKeys(dir: string): Record<HostKeyType, string> {
  mkdirSync(dir, { recursive: true });
  const out = {} as Record<HostKeyType, string>;
  for (const t of HOST_KEY_TYPES) out[t] = keygen(join(dir, `ssh_host_${t}_key`), t).pub;
  return out;
}

export interface SshdOptions {
  /** Working dir: config, log, authorized_keys/<user>. */
  dir: string;
  /** Dir holding ssh_host_{ed25519,ecdsa,rsa}_key (see hostKeys). */
  hostKeyDir: string;
  /** Public keys allowed per user. */
  authorized: Record<string, string[]>;
  port?: number;
}

export class TestSshd {
  private constructor(
    readonly port: number,
    readonly proc: Bun.Subprocess,
    readonly log: string,
  ) {}

  static async start(o: SshdOptions): Promise<TestSshd> {
    mkdirSync(join(o.dir, "authorized_keys"), { recursive: true, mode: 0o755 });
    for (const [user, keys] of Object.entries(o.authorized)) {
      writeFileSync(join(o.dir, "authorized_keys", user), `${keys.join("\n")}\n`, { mode: 0o644 });
    }
    const config = join(o.dir, "sshd_config");
    writeFileSync(
      config,
      [
        ...["ed25519", "ecdsa", "rsa"].map((t) => `HostKey ${join(o.hostKeyDir, `ssh_host_${t}_key`)}`),
        `AuthorizedKeysFile ${join(o.dir, "authorized_keys", "%u")}`,
        `PidFile none`,
        "StrictModes no",
        "PermitRootLogin yes",
        "PubkeyAuthentication yes",
        "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        "PrintMotd no",
        "MaxAuthTries 10",
        "LogLevel VERBOSE",
        "",
      ].join("\n"),
    );
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const port = o.port ?? (await freePort());
    const log = join(o.dir, "sshd.log");
    const proc = Bun.spawn(
      [SSHD, "-D", "-e", "-f", config, "-p", String(port), "-o", "ListenAddress=127.0.0.1"],
      { stdin: "ignore", stdout: "ignore", stderr: Bun.file(log) },
    );
    const sshd = new TestSshd(port, proc, log);
    await sshd.waitListening();
    return sshd;
  }

  private async waitListening(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) break;
      const banner = await new Promise<string>((resolve) => {
        let got = "";
        Bun.connect({
          hostname: "127.0.0.1",
          port: this.port,
          socket: {
            data: (s, d) => void ((got += d.toString()), s.end()),
            close: () => resolve(got),
            error: () => resolve(""),
            connectError: () => resolve(""),
          },
        }).catch(() => resolve(""));
      });
      if (banner.startsWith("SSH-2.0")) return;
      await Bun.sleep(50);
    }
    this.proc.kill();
    throw new Error(`test sshd did not start on port ${this.port}: ${readFileSync(this.log, "utf8").slice(-2000)}`);
  }

  /** PIDs of the sshd processes serving connections (children of the listener, and theirs). */
  sessionPids(): number[] {
    const rows = run(["ps", "-e", "-o", "pid=,ppid=,comm="])
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm }));
    const found: number[] = [];
    const walk = (parent: number) => {
      for (const r of rows) {
        if (r.ppid === parent && r.comm === "sshd") {
          found.push(r.pid);
          walk(r.pid);
        }
      }
    };
    walk(this.proc.pid);
    return found;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      await this.proc.exited;
    }
  }
}

/**
 * A throwaway local account (never root's) with a password; removed by `drop`. The name carries this
 * process's pid (`hostkit-t<pid>`, `hostkit-b<pid>`…) so parallel test runs on one machine do not collide;
 * accounts left behind by runs that died are swept first.
 */
export function createUser(prefix: "hostkit-t" | "hostkit-b", password: string): { name: string; drop(): void } {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const m = /^(hostkit-[tb](\d+)):/.exec(line);
    if (m && !pidAlive(Number(m[2]))) Bun.spawnSync(["userdel", "-r", m[1]!], { stderr: "ignore" });
  }
  const name = `${prefix}${process.pid}`;
  Bun.spawnSync(["userdel", "-r", name], { stderr: "ignore" });
  run(["useradd", "-m", "-s", "/bin/sh", name]);
  run(["chpasswd"], `${name}:${password}\n`);
  return { name, drop: () => void Bun.spawnSync(["userdel", "-r", name], { stderr: "ignore" }) };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
