// A release layout: each release in its own directory, `current` a symbolic link to the live one.
// Switching releases is one changed link; `hostkit down --last` points it back.
import { project } from "hostkit";

const release = process.env.RELEASE ?? "2026.12.01";

export default project("shop", (p) => {
  p.directory("/opt/shop");
  p.directory("/opt/shop/releases");
  p.directory(`/opt/shop/releases/${release}`);
  p.file(`/opt/shop/releases/${release}/VERSION`, { content: `${release}\n` });
  p.symlink("/opt/shop/current", { target: `releases/${release}` });
  p.symlink("/etc/shop.version", { target: "/opt/shop/current/VERSION", rollback: "keep" });
});
