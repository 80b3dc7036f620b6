package protocol

// The TypeScript types of clients/typescript and the protocol reference in
// docs/protocol.md are generated from this package by ./gen; a test in ./gen
// fails when they are stale. Every Method* and Notify* constant must carry
// a trailing "// Params -> Result" (request) or "// Params" (notification)
// comment: see ./gen for the convention.
//go:generate go run ./gen -dir . -ts ../clients/typescript/src/protocol.ts -md ../docs/protocol.md
