/** Where a declaration was written: the infra file and line of the DSL call. */
export interface SourceLoc {
  file: string;
  line: number;
}

export function formatLoc(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}`;
}
