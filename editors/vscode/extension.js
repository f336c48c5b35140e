// The VS Code client of `rwc lsp`: starts the server over stdio for .rw
// files and passes the settings of package.json as command-line flags.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("rw");
  const command = config.get("server.path", "rwc");
  const args = [
    "lsp",
    "--budget-ms", String(config.get("server.budgetMs", 5000)),
    "--timeout-ms", String(config.get("server.timeoutMs", 500)),
  ];
  const serverOptions = { command, args };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "rw" }, { scheme: "untitled", language: "rw" }],
    // Modules changed on disk re-check the open files that import them.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.rw") },
  };
  client = new LanguageClient("rw", "rw language server", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("rw.server")) {
        vscode.window.showInformationMessage("rw: reload the window to restart `rwc lsp` with the new settings.");
      }
    })
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
