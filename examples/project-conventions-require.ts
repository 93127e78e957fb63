// The same conventions loaded the seed's way, with --require instead of an import:
//   hostkit dump --require examples/conventions/toys-infra-global.ts examples/project-conventions-require.ts
// Without --require this file stops with "ToysInfra is not defined" at the line below.
export default ToysInfra.toysProject((p) => {
  ToysInfra.toyService(p, "exograph", ({ s, sourceDir, dataDir, stateDir, standardUser }) => {
    standardUser();
    s.daemon({
      name: s.unitName(),
      workingDirectory: sourceDir,
      exec: ["/usr/local/bin/mix", "exograph.index.hex", "--web", "--port", "4200"],
      run: { readWritePaths: [dataDir, stateDir, sourceDir] },
    });
  });
});
