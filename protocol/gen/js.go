package main

import (
	"bytes"
	"fmt"
	"strings"
)

// JS renders clients/web/static/protocol.js: the method names and error
// codes as constants, and every wire type as a JSDoc typedef, for the web
// console (checked with tsc --noEmit under // @ts-check).
func JS(m *Model) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("// @ts-check\n")
	p("// %s\n", goHeader)
	p("// The web console's view of the protocol: method names, error codes and\n")
	p("// JSDoc types. Change protocol/*.go and run `go generate ./protocol/`.\n\n")

	names := func(title, export string, ms []*Method) {
		p("/** %s */\n", title)
		p("export const %s = Object.freeze({\n", export)
		for _, me := range ms {
			p("  %s: %s,\n", jsKey(me), jsString(me.Wire))
		}
		p("});\n\n")
	}
	names("Requests the client sends: name to method.", "Methods", m.MethodsBy(ClientToServer, false))
	names("Notifications the client sends: name to method.", "ClientNotifications", m.MethodsBy(ClientToServer, true))
	names("Notifications the daemon sends: name to method.", "Notifications", m.MethodsBy(ServerToClient, true))
	names("Requests the daemon sends: name to method.", "ServerRequests", m.MethodsBy(ServerToClient, false))

	p("/** Error codes. */\n")
	for _, c := range m.ConstsWithPrefix("Code") {
		p("export const %s = %s;\n", c.Name, c.Value)
	}
	p("\n/** Limits. */\n")
	for _, c := range m.ConstsWithPrefix("MaxMessage") {
		p("export const %s = %s;\n", c.Name, c.Value)
	}
	p("\n")

	// The request map, for typed calls: @type {MethodMap['fetch/next']['result']}.
	p("/**\n * Params and result of each request the client sends.\n * @typedef {{\n")
	for _, me := range m.MethodsBy(ClientToServer, false) {
		p(" *   %s: { params: %s, result: %s },\n", jsString(me.Wire), tsRef(me.Params), tsRef(me.Result))
	}
	p(" * }} MethodMap\n */\n\n")
	p("/**\n * Params of each notification the daemon sends.\n * @typedef {{\n")
	for _, me := range m.MethodsBy(ServerToClient, true) {
		p(" *   %s: %s,\n", jsString(me.Wire), tsRef(me.Params))
	}
	p(" * }} NotificationMap\n */\n\n")

	p("/** @typedef {unknown} JsonValue Any JSON value, passed through untouched. */\n\n")
	for _, t := range m.Types {
		name := tsName(t.Name)
		doc := strings.Join(strings.Fields(strings.ReplaceAll(t.Doc, "*/", "*\\/")), " ")
		switch {
		case !t.Struct:
			p("/** @typedef {%s} %s %s */\n", tsType(t.Alias), name, doc)
		default:
			p("/**\n")
			if doc != "" {
				p(" * %s\n", doc)
			}
			base := "Object"
			if len(t.Embeds) > 0 {
				es := make([]string, len(t.Embeds))
				for i, e := range t.Embeds {
					es[i] = tsName(e)
				}
				base = strings.Join(es, " & ") + " & Object"
			}
			if len(t.Fields) == 0 && len(t.Embeds) == 0 {
				base = "Record<string, never>"
			}
			p(" * @typedef {%s} %s\n", base, name)
			for _, f := range t.Fields {
				ty := tsType(f.T)
				if f.Nullable {
					ty += " | null"
				}
				n := f.JSON
				if f.Optional {
					n = "[" + n + "]"
				}
				fd := strings.Join(strings.Fields(strings.ReplaceAll(f.Doc, "*/", "*\\/")), " ")
				p(" * @property {%s} %s %s\n", ty, n, fd)
			}
			p(" */\n")
		}
	}
	return b.Bytes()
}

// jsKey is a method's key in the name objects: its Go name.
func jsKey(me *Method) string { return strings.TrimPrefix(goName(me), "Notify") }
