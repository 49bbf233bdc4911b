// The Tutti extension: starts `tutti lsp` (the language server of the tutti
// binary) over stdio for .tutti documents. Highlighting comes from the
// TextMate grammar in syntaxes/ and works without the server.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const vscode = require('vscode');

let languageClient;  // the vscode-languageclient/node module, loaded on activation
let missingClient;   // why it could not be loaded, if it could not
let client;          // the running LanguageClient, if any
let output;          // the 'Tutti' output channel, shared by every client
let watcher;         // .tutti files on disk, shared by every client
let queue = Promise.resolve();  // starts and stops, one at a time

function activate(context) {
  output = vscode.window.createOutputChannel('Tutti');
  watcher = vscode.workspace.createFileSystemWatcher('**/*.tutti');
  context.subscriptions.push(output, watcher);
  try {
    languageClient = require('vscode-languageclient/node');
  } catch (e) {
    missingClient = 'Tutti: the extension is missing its dependency vscode-languageclient; run "npm install" in ' +
      `${context.extensionPath}. Highlighting works; diagnostics and the other language features do not.`;
    output.appendLine(e.message);
  }

  context.subscriptions.push(
    vscode.commands.registerCommand('tutti.restartServer', () => enqueue(() => restart(true))),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('tutti.path') || event.affectsConfiguration('tutti.stdlib')) {
        enqueue(() => restart(false));
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => enqueue(() => restart(false))),
    { dispose: () => { enqueue(stop); } },
  );
  return enqueue(start);
}

function deactivate() {
  return enqueue(stop);
}

function enqueue(task) {
  queue = queue.then(task, task).catch((e) => output.appendLine(`Tutti: ${e && e.stack ? e.stack : e}`));
  return queue;
}

async function restart(fromCommand) {
  await stop();
  await start();
  if (fromCommand && client) vscode.window.setStatusBarMessage('Tutti: language server restarted', 3000);
}

async function stop() {
  const c = client;
  client = undefined;
  if (!c) return;
  try {
    if (c.needsStop()) await c.stop();
  } catch (e) {
    output.appendLine(`Tutti: stopping the language server: ${e.message}`);
  }
}

/** The settings, with paths resolved; `command` is what will be spawned. */
function settings() {
  const config = vscode.workspace.getConfiguration('tutti');
  const rawPath = (config.get('path') || '').trim() || 'tutti';
  const rawStdlib = (config.get('stdlib') || '').trim();
  const looksLikePath = rawPath.includes('/') || rawPath.includes('\\') || rawPath.startsWith('~');
  return {
    rawPath,
    isPath: looksLikePath,
    command: looksLikePath ? resolvePath(rawPath) : rawPath,
    stdlib: rawStdlib ? resolvePath(rawStdlib) : '',
  };
}

function resolvePath(p) {
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) p = path.join(os.homedir(), p.slice(1));
  if (path.isAbsolute(p)) return p;
  const folders = vscode.workspace.workspaceFolders;
  const base = folders && folders.length && folders[0].uri.scheme === 'file' ? folders[0].uri.fsPath : process.cwd();
  return path.resolve(base, p);
}

/** The file `command` runs: itself if it is a path, else the first match on PATH; undefined if none. */
function findExecutable(command) {
  const isFile = (p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (path.isAbsolute(command)) return isFile(command) ? command : undefined;
  const extensions = process.platform === 'win32'
    ? ['', ...(process.env.PATHEXT || '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)]
    : [''];
  for (const dir of (process.env.PATH || '').split(path.delimiter).filter(Boolean)) {
    for (const ext of extensions) {
      const candidate = path.join(dir, command + ext);
      if (isFile(candidate)) return candidate;
    }
  }
  return undefined;
}

async function start() {
  if (missingClient) {
    output.appendLine(missingClient);
    vscode.window.showErrorMessage(missingClient);
    return;
  }
  const { LanguageClient } = languageClient;
  const s = settings();
  if (findExecutable(s.command) === undefined) {
    const where = s.isPath ? `"${s.command}" does not exist` : `"${s.rawPath}" is not on PATH`;
    reportStartFailure(`Tutti: cannot start the language server: ${where}. ` +
      'Set "tutti.path" to the tutti binary (for a source tree, build/cli/tutti).');
    return;
  }
  if (s.stdlib && !fs.existsSync(s.stdlib)) {
    output.appendLine(`Tutti: the stdlib folder "${s.stdlib}" (tutti.stdlib) does not exist; the server will report the imports it cannot find.`);
  }
  const args = ['lsp'];
  if (s.stdlib) args.push('--stdlib', s.stdlib);

  // No `transport` here: with one, the client would add a --stdio argument
  // that `tutti lsp` does not take. stdio is what it speaks.
  const serverOptions = { command: s.command, args };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'tutti' },
      { scheme: 'untitled', language: 'tutti' },
    ],
    outputChannel: output,
    synchronize: {
      // Changes on disk to .tutti files, such as the files an open document
      // imports (workspace/didChangeWatchedFiles).
      fileEvents: watcher,
    },
  };
  const c = new LanguageClient('tutti', 'Tutti', serverOptions, clientOptions);
  client = c;
  output.appendLine(`Tutti: starting ${[s.command, ...args].map(quoteArg).join(' ')}`);
  try {
    await c.start();
  } catch (e) {
    if (client === c) client = undefined;
    reportStartFailure(`Tutti: the language server "${s.command} lsp" did not start: ${e && e.message ? e.message : e}. ` +
      'Is this a tutti build with the "lsp" command? Its output is in the "Tutti" output channel.');
  }
}

function quoteArg(a) {
  return /[\s"']/.test(a) ? JSON.stringify(a) : a;
}

function reportStartFailure(message) {
  output.appendLine(message);
  vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then((choice) => {
    if (choice === 'Open Settings') vscode.commands.executeCommand('workbench.action.openSettings', 'tutti.');
    if (choice === 'Show Output') output.show(true);
  });
}

module.exports = { activate, deactivate };
