package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/switchboardpay/switchboard/protocol"
)

// Model is what the generator knows of the protocol package: its exported
// types, constants, string-list variables and methods, in a deterministic
// order (files by name, declarations in source order).
type Model struct {
	Types       []*Type // sorted by name
	ConstGroups []*ConstGroup
	Vars        []*Var
	Methods     []*Method
	// ErrorData maps an error code constant to the type of its data,
	// from "XData is the data of CodeY." doc comments.
	ErrorData map[string]string

	types  map[string]*Type
	consts map[string]*Const
}

// Type is an exported type declaration.
type Type struct {
	Name   string
	Doc    string
	Struct bool
	Fields []*Field
	Embeds []string // embedded struct types, in order
	Alias  *TypeExpr
}

// Field is one JSON field of a struct.
type Field struct {
	GoName   string
	JSON     string
	Doc      string
	Optional bool // omitempty, or a pointer
	Nullable bool // a pointer without omitempty: present, maybe null
	T        *TypeExpr
}

// TypeKind is the kind of a TypeExpr.
type TypeKind int

const (
	KString TypeKind = iota
	KNumber
	KBool
	KAny  // any, interface{}
	KJSON // json.RawMessage
	KTime // time.Time
	KNamed
	KSlice
	KMap // map[string]Elem
)

// TypeExpr is a field type, reduced to what JSON can carry.
type TypeExpr struct {
	Kind TypeKind
	Name string    // KNamed
	Elem *TypeExpr // KSlice, KMap
}

// Const is one constant.
type Const struct {
	Name    string
	Doc     string // doc comment above the spec
	Comment string // trailing line comment
	Str     bool
	Value   string // the Go string value, or the integer in decimal
	Pos     token.Position
}

// ConstGroup is one const ( ... ) declaration.
type ConstGroup struct {
	Doc    string
	Consts []*Const
}

// Var is a package-level []string variable listing constants.
type Var struct {
	Name   string
	Doc    string
	Consts []string
}

// Direction says who sends a method.
type Direction int

const (
	ClientToServer Direction = iota
	ServerToClient
)

// Method is one JSON-RPC method or notification: an entry of the method
// table and the Method* or Notify* constant naming it.
type Method struct {
	Const        *Const
	Wire         string
	Notification bool
	Dir          Direction
	Params       string // a type name, "none" or "{}"
	Result       string // requests: a type name or "null"
	Group        *ConstGroup
	Errors       []string // Code* constants it may answer
	Spec         protocol.Spec
}

var errorDataDoc = regexp.MustCompile(`\bis the data of (Code[A-Za-z0-9]+)\b`)

// Load parses the Go files of dir (tests and the method table, table.go,
// excluded) and builds the model, with the methods of specs (the package's
// protocol.Table()). It fails on a method constant the table lacks, on a
// table entry no constant names, on a reference to a type it does not know
// and on a field type it cannot map to JSON.
func Load(dir string, specs []protocol.Spec) (*Model, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || n == "table.go" {
			continue
		}
		names = append(names, n)
	}
	// methods.go and types.go first: they hold the methods and the core
	// types, and their constants read best first. The rest by name.
	rank := func(n string) int {
		switch n {
		case "methods.go":
			return 0
		case "types.go":
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	if len(names) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	fset := token.NewFileSet()
	m := &Model{ErrorData: map[string]string{}, types: map[string]*Type{}, consts: map[string]*Const{}}
	var errs []string
	fail := func(pos token.Pos, format string, args ...any) {
		p := fset.Position(pos)
		errs = append(errs, fmt.Sprintf("%s:%d: %s", filepath.Base(p.Filename), p.Line, fmt.Sprintf(format, args...)))
	}
	var varSpecs []*ast.ValueSpec
	var varDocs []string
	for _, n := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if f.Name.Name != "protocol" {
			continue
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			switch gd.Tok {
			case token.TYPE:
				for _, s := range gd.Specs {
					ts := s.(*ast.TypeSpec)
					if !ts.Name.IsExported() {
						continue
					}
					doc := ts.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					t := &Type{Name: ts.Name.Name, Doc: text(doc)}
					if st, ok := ts.Type.(*ast.StructType); ok {
						t.Struct = true
						loadFields(t, st, fail)
					} else {
						te, err := typeExpr(ts.Type)
						if err != nil {
							fail(ts.Pos(), "type %s: %v", t.Name, err)
							continue
						}
						t.Alias = te
					}
					if mm := errorDataDoc.FindStringSubmatch(t.Doc); mm != nil {
						m.ErrorData[mm[1]] = t.Name
					}
					m.types[t.Name] = t
					m.Types = append(m.Types, t)
				}
			case token.CONST:
				g := &ConstGroup{Doc: text(gd.Doc)}
				for _, s := range gd.Specs {
					vs := s.(*ast.ValueSpec)
					for i, id := range vs.Names {
						if !id.IsExported() {
							continue
						}
						c := &Const{Name: id.Name, Doc: text(vs.Doc), Comment: text(vs.Comment), Pos: fset.Position(id.Pos())}
						if i >= len(vs.Values) {
							fail(id.Pos(), "const %s: implicit values (iota) are not supported", id.Name)
							continue
						}
						if err := constValue(c, vs.Values[i]); err != nil {
							fail(id.Pos(), "const %s: %v", id.Name, err)
							continue
						}
						m.consts[c.Name] = c
						g.Consts = append(g.Consts, c)
					}
				}
				if len(g.Consts) > 0 {
					m.ConstGroups = append(m.ConstGroups, g)
				}
			case token.VAR:
				for _, s := range gd.Specs {
					vs := s.(*ast.ValueSpec)
					doc := vs.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					varSpecs = append(varSpecs, vs)
					varDocs = append(varDocs, text(doc))
				}
			}
		}
	}
	sort.Slice(m.Types, func(i, j int) bool { return m.Types[i].Name < m.Types[j].Name })

	// []string variables made of constants, such as Resources.
	for i, vs := range varSpecs {
		for j, id := range vs.Names {
			if !id.IsExported() || j >= len(vs.Values) {
				continue
			}
			cl, ok := vs.Values[j].(*ast.CompositeLit)
			if !ok {
				continue
			}
			at, ok := cl.Type.(*ast.ArrayType)
			if !ok || at.Len != nil || !isIdent(at.Elt, "string") {
				continue
			}
			v := &Var{Name: id.Name, Doc: varDocs[i]}
			for _, e := range cl.Elts {
				ref, ok := e.(*ast.Ident)
				if !ok || m.consts[ref.Name] == nil {
					fail(e.Pos(), "var %s: elements must be exported constants of the package", id.Name)
					continue
				}
				v.Consts = append(v.Consts, ref.Name)
			}
			m.Vars = append(m.Vars, v)
		}
	}

	// Methods, from the table; their docs and groups from their constants.
	byValue := map[string]*Const{}
	groupOf := map[*Const]*ConstGroup{}
	for _, g := range m.ConstGroups {
		for _, c := range g.Consts {
			if isMethodConst(c) {
				if !c.Str {
					errs = append(errs, fmt.Sprintf("%s:%d: %s: a method constant must be a string", filepath.Base(c.Pos.Filename), c.Pos.Line, c.Name))
					continue
				}
				byValue[c.Value] = c
				groupOf[c] = g
			}
		}
	}
	seen := map[*Const]bool{}
	for _, sp := range specs {
		c := byValue[sp.Name]
		if c == nil {
			errs = append(errs, fmt.Sprintf("table: %s: no Method* or Notify* constant has this name", sp.Name))
			continue
		}
		seen[c] = true
		me := &Method{Const: c, Wire: sp.Name, Notification: sp.Notification, Dir: Direction(sp.Dir), Group: groupOf[c], Spec: sp}
		me.Params = refOf(sp.Params, true)
		if !sp.Notification {
			me.Result = refOf(sp.Result, false)
		}
		if !m.validRef(me.Params, true) {
			errs = append(errs, fmt.Sprintf("table: %s: params %s: not an exported type of the package", sp.Name, me.Params))
			continue
		}
		if me.Result != "" && !m.validRef(me.Result, false) {
			errs = append(errs, fmt.Sprintf("table: %s: result %s: not an exported type of the package", sp.Name, me.Result))
			continue
		}
		for _, code := range sp.Errors {
			name := ""
			for _, cc := range m.ConstsWithPrefix("Code") {
				if cc.Value == strconv.FormatInt(code, 10) {
					name = cc.Name
				}
			}
			if name == "" {
				errs = append(errs, fmt.Sprintf("table: %s: error code %d is no Code* constant", sp.Name, code))
				continue
			}
			me.Errors = append(me.Errors, name)
		}
		m.Methods = append(m.Methods, me)
	}
	for c := range groupOf {
		if !seen[c] {
			errs = append(errs, fmt.Sprintf("%s:%d: %s: not in the method table (protocol/table.go)", filepath.Base(c.Pos.Filename), c.Pos.Line, c.Name))
		}
	}

	for code, typ := range m.ErrorData {
		if c := m.consts[code]; c == nil || c.Str {
			errs = append(errs, fmt.Sprintf("type %s: says it is the data of %s, which is not an integer constant", typ, code))
		}
	}
	for _, t := range m.Types {
		for _, e := range t.Embeds {
			if m.types[e] == nil || !m.types[e].Struct {
				errs = append(errs, fmt.Sprintf("type %s: embeds %s, not a struct of the package", t.Name, e))
			}
		}
		for _, f := range t.Fields {
			for _, n := range f.T.names() {
				if m.types[n] == nil {
					errs = append(errs, fmt.Sprintf("type %s: field %s refers to %s, not an exported type of the package", t.Name, f.GoName, n))
				}
			}
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("protocol/gen: %d problem(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
	return m, nil
}

// refOf names a table type the way the model does: a type name, "{}" for
// Empty params, "none" for no params and "null" for a null result.
func refOf(t reflect.Type, params bool) string {
	switch {
	case t == nil || t.Name() == "None":
		if params {
			return "none"
		}
		return "null"
	case params && t.Name() == "Empty":
		return "{}"
	}
	return t.Name()
}

func (m *Model) validRef(s string, params bool) bool {
	switch s {
	case "{}":
		return params
	case "none":
		return params
	case "null":
		return !params
	}
	return m.types[s] != nil
}

// methodOf returns the method a constant names, or nil.
func (m *Model) methodOf(c *Const) *Method {
	for _, me := range m.Methods {
		if me.Const == c {
			return me
		}
	}
	return nil
}

// Type returns the named type, or nil.
func (m *Model) Type(name string) *Type { return m.types[name] }

// Const returns the named constant, or nil.
func (m *Model) Const(name string) *Const { return m.consts[name] }

// ConstsWithPrefix lists the constants whose name starts with prefix, in
// source order.
func (m *Model) ConstsWithPrefix(prefix string) []*Const {
	var out []*Const
	for _, g := range m.ConstGroups {
		for _, c := range g.Consts {
			if strings.HasPrefix(c.Name, prefix) && len(c.Name) > len(prefix) {
				out = append(out, c)
			}
		}
	}
	return out
}

// MethodsBy lists the methods of one direction and kind, in source order.
func (m *Model) MethodsBy(dir Direction, notification bool) []*Method {
	var out []*Method
	for _, me := range m.Methods {
		if me.Dir == dir && me.Notification == notification {
			out = append(out, me)
		}
	}
	return out
}

func loadFields(t *Type, st *ast.StructType, fail func(token.Pos, string, ...any)) {
	for _, f := range st.Fields.List {
		tag := ""
		if f.Tag != nil {
			s, err := strconv.Unquote(f.Tag.Value)
			if err == nil {
				tag = reflect.StructTag(s).Get("json")
			}
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		if len(f.Names) == 0 { // embedded
			id, ok := f.Type.(*ast.Ident)
			if !ok || name != "" {
				fail(f.Pos(), "type %s: only embedded struct types of the package without a json name are supported", t.Name)
				continue
			}
			if id.IsExported() {
				t.Embeds = append(t.Embeds, id.Name)
			}
			continue
		}
		te, err := typeExpr(f.Type)
		if err != nil {
			fail(f.Pos(), "type %s: field %s: %v", t.Name, f.Names[0].Name, err)
			continue
		}
		_, ptr := f.Type.(*ast.StarExpr)
		omit := false
		for _, o := range strings.Split(opts, ",") {
			if o == "omitempty" || o == "omitzero" {
				omit = true
			}
		}
		doc := text(f.Doc)
		if doc == "" {
			doc = text(f.Comment)
		}
		for _, id := range f.Names {
			if !id.IsExported() {
				continue
			}
			j := name
			if j == "" {
				j = id.Name
			}
			t.Fields = append(t.Fields, &Field{GoName: id.Name, JSON: j, Doc: doc, Optional: omit || ptr, Nullable: ptr && !omit, T: te})
		}
	}
}

func typeExpr(e ast.Expr) (*TypeExpr, error) {
	switch e := e.(type) {
	case *ast.Ident:
		switch e.Name {
		case "string":
			return &TypeExpr{Kind: KString}, nil
		case "bool":
			return &TypeExpr{Kind: KBool}, nil
		case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
			return &TypeExpr{Kind: KNumber}, nil
		case "any":
			return &TypeExpr{Kind: KAny}, nil
		}
		if !e.IsExported() {
			return nil, fmt.Errorf("unexported or unsupported type %s", e.Name)
		}
		return &TypeExpr{Kind: KNamed, Name: e.Name}, nil
	case *ast.StarExpr:
		return typeExpr(e.X)
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			switch x.Name + "." + e.Sel.Name {
			case "json.RawMessage":
				return &TypeExpr{Kind: KJSON}, nil
			case "time.Time":
				return &TypeExpr{Kind: KTime}, nil
			}
		}
		return nil, fmt.Errorf("unsupported type %s: add it to protocol/gen", exprString(e))
	case *ast.ArrayType:
		if e.Len != nil {
			return nil, fmt.Errorf("arrays of fixed length are not supported")
		}
		el, err := typeExpr(e.Elt)
		if err != nil {
			return nil, err
		}
		return &TypeExpr{Kind: KSlice, Elem: el}, nil
	case *ast.MapType:
		if !isIdent(e.Key, "string") {
			return nil, fmt.Errorf("map keys must be strings")
		}
		el, err := typeExpr(e.Value)
		if err != nil {
			return nil, err
		}
		return &TypeExpr{Kind: KMap, Elem: el}, nil
	case *ast.InterfaceType:
		if e.Methods == nil || len(e.Methods.List) == 0 {
			return &TypeExpr{Kind: KAny}, nil
		}
	}
	return nil, fmt.Errorf("unsupported type %s", exprString(e))
}

// names lists the package types a type expression refers to.
func (t *TypeExpr) names() []string {
	switch t.Kind {
	case KNamed:
		return []string{t.Name}
	case KSlice, KMap:
		return t.Elem.names()
	}
	return nil
}

func constValue(c *Const, e ast.Expr) error {
	neg := false
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.SUB {
		neg, e = true, u.X
	}
	lit, ok := e.(*ast.BasicLit)
	if !ok {
		return fmt.Errorf("only literal values are supported, got %s", exprString(e))
	}
	switch lit.Kind {
	case token.STRING:
		if neg {
			return fmt.Errorf("bad literal")
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return err
		}
		c.Str, c.Value = true, s
	case token.INT:
		n, err := strconv.ParseInt(lit.Value, 0, 64)
		if err != nil {
			return err
		}
		if neg {
			n = -n
		}
		c.Value = strconv.FormatInt(n, 10)
	default:
		return fmt.Errorf("only string and integer constants are supported")
	}
	return nil
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.StarExpr:
		return "*" + exprString(e.X)
	}
	return fmt.Sprintf("%T", e)
}

// text is a comment group's text with the comment markers removed, lines
// joined by newlines and surrounding space trimmed.
func text(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.TrimSpace(g.Text())
}
