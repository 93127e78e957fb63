// Project-local conventions (the seed's "Project-local DSLs"): the infra file imports plain helpers.
import { toyService, toysProject } from "./conventions/toys-infra.ts";

export default toysProject((p) => {
  toyService(p, "exograph", ({ s, sourceDir, dataDir, stateDir, standardUser }) => {
    standardUser();
    s.directory(dataDir, { mode: 0o750 });
    s.directory(stateDir, { mode: 0o750 });
    s.daemon({
      name: s.unitName(),
      workingDirectory: sourceDir,
      exec: ["/usr/local/bin/mix", "exograph.index.hex", "--web", "--port", "4200"],
      run: { readWritePaths: [dataDir, stateDir, sourceDir] },
      isolate: { profile: "strict_app" },
    });
  });
});
