package protocol

// The TypeScript types of clients/typescript, the protocol reference in
// docs/protocol.md, the daemon's dispatch, the Go client's methods and the
// web console's method module are generated from this package by ./gen,
// the methods from the table of table.go; a test in ./gen fails when any is
// stale.
//go:generate go run ./gen -dir . -root ..
