/**
 * The managed-resources record: what HostKit manages on a host for one project, kept ON the host
 * (`/var/lib/hostkit/state/<project>.json`, or inside the offline root). Every successful up apply
 * writes it as its final step; the next plan reads it in the same probe round trip and plans the
 * deletion of what was managed but is no longer declared (prune). Nothing absent from the record is
 * ever pruned: a resource HostKit never managed is never deleted.
 *
 * It holds each managed resource's declaration (what deleting it needs: path, owner, unit name,
 * rollback policy) with file content left out, whether HostKit created it, and the digest of the
 * declaration it was last applied from (its basis). No secret values: env files hold references only.
 */
import * as v from "valibot";

export const MANAGED_FORMAT = 1;

export const ManagedEntrySchema = v.object({
  key: v.string(),
  /** HostKit created it (it did not exist before): `delete_if_created` policies delete it when pruned. */
  created: v.optional(v.boolean()),
  /** Digest of the declaration it was last applied from. */
  basis: v.string(),
  /** The declaration (file content left out), validated by its kind's schema when read back. */
  resource: v.record(v.string(), v.unknown()),
});
export type ManagedEntry = v.InferOutput<typeof ManagedEntrySchema>;

export const ManagedStateSchema = v.object({
  kind: v.literal("hostkit.managed"),
  format: v.literal(MANAGED_FORMAT),
  project: v.string(),
  entries: v.array(ManagedEntrySchema),
});
export type ManagedState = v.InferOutput<typeof ManagedStateSchema>;
