package protocol

// Message limits. Every end keeps them: the daemon and the Go client
// (internal/rpc.DefaultMaxMessageSize, held equal by a test) and the web
// console (rpc.js, through the generated protocol.js).
const (
	// MaxMessageSize caps one JSON-RPC message, in bytes (64 MiB). A peer
	// that sends more is told so and its connection closed: a stream
	// cannot skip a message it refuses.
	MaxMessageSize = 67108864
)
