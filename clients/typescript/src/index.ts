export * from './protocol';
export { SwitchboardClient, pageItems } from './client';
export type { ClientOptions, StdioOptions, WebSocketOptions, ItemTypes } from './client';
export { SwitchboardError, toSwitchboardError } from './errors';
export { WebSocketMessageReader, WebSocketMessageWriter, openWebSocket } from './websocket';
export { defaultStateDir, readDaemonInfo, waitForDaemonInfo, DaemonInfoFile } from './discover';
export type { DaemonInfo } from './discover';
export { CancellationToken, CancellationTokenSource } from 'vscode-jsonrpc';
export type { Disposable } from 'vscode-jsonrpc';
