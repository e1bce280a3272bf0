// The Berth extension: starts `berth lsp` (the path in `berth.path`) for Berth specs and
// passes the library folders of `berth.libraries`. Everything else (diagnostics,
// completion, hover, definition, references, rename, formatting, quick fixes) is the
// language server's.

import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function settings() {
  const config = vscode.workspace.getConfiguration("berth");
  return {
    libraries: config.get<string[]>("libraries", []),
    debounceMs: config.get<number>("debounceMs", 150),
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration("berth").get<string>("path", "berth");
  const serverOptions: ServerOptions = { command, args: ["lsp"] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: "berth" }],
    initializationOptions: settings(),
    synchronize: { configurationSection: "berth" },
  };
  client = new LanguageClient("berth", "Berth", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("berth.path") && client) {
        await client.stop();
        client = new LanguageClient("berth", "Berth", { command: vscode.workspace.getConfiguration("berth").get<string>("path", "berth"), args: ["lsp"] }, clientOptions);
        await client.start();
      }
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
  }
}
