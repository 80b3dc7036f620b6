import * as vscode from 'vscode';

import type { VscodeApi } from './api';
import { Controller } from './controller';

let controller: Controller | undefined;

export function activate(context: vscode.ExtensionContext): void {
  // The real API must satisfy the interface the logic (and the tests' fake) use.
  const api: VscodeApi = vscode;
  const version = (context.extension?.packageJSON as { version?: string } | undefined)?.version;
  controller = new Controller(api, { version, storageDir: context.globalStorageUri?.fsPath });
  context.subscriptions.push(...controller.register(), { dispose: () => controller?.dispose() });
}

export async function deactivate(): Promise<void> {
  await controller?.close();
  controller = undefined;
}
