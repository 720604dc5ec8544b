package modelspec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// YAML syntax errors, said in the user's terms. yaml.v3 reports a tab in
// the indentation as "found character that cannot start any token" and a key
// indented wrongly as "mapping values are not allowed in this context" or
// "did not find expected key", often at another line; when the parser has
// failed, the text is read again for these two mistakes, and the message
// points at the line (and key) that has it.

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

func yamlError(file string, data []byte, err error) Diagnostic {
	msg := err.Error()
	if te, ok := err.(*yaml.TypeError); ok {
		msg = strings.Join(te.Errors, "; ")
	}
	pos := Pos{File: file, Line: 1, Col: 1}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			pos.Line, _ = strconv.Atoi(m[1])
		}
		msg = m[2]
	}
	if d, ok := badIndentation(file, strings.Split(string(data), "\n")); ok {
		return d
	}
	return Diagnostic{Pos: pos, Msg: "invalid YAML: " + msg}
}

// yamlKeyRE is a line holding a block mapping key: indentation, an optional
// "- " of a list item, the key and its colon, and what follows on the line.
var yamlKeyRE = regexp.MustCompile(`^( *)((?:- +)*)([^\s#'"{}\[\],:-][^#:{}\[\]]*?|"[^"]*"|'[^']*') *:(?: +(.*?))? *$`)

// indentLevel is a mapping key seen on the way to a line: its indentation,
// whether it has a value on its own line (then it has no keys below it) and
// where it is.
type indentLevel struct {
	indent int
	value  bool
	key    string
	line   int
}

// badIndentation finds the first line of a document that the parser could
// not read whose indentation holds a tab, or whose mapping key matches no
// enclosing level or is indented under a key which has its value on its
// own line. Lines of block scalars (code) and of flow collections are not
// indentation and are skipped.
func badIndentation(file string, lines []string) (Diagnostic, bool) {
	var stack []indentLevel
	block := -1 // indentation of the key of a block scalar being skipped
	flow := 0   // open brackets of a flow collection spanning lines
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \r")
		body := strings.TrimLeft(l, " ")
		indent := len(l) - len(body)
		if body == "" || strings.HasPrefix(body, "#") {
			continue
		}
		if block >= 0 {
			if indent > block {
				continue
			}
			block = -1
		}
		if strings.HasPrefix(body, "\t") && flow == 0 {
			return Diagnostic{Pos: Pos{File: file, Line: i + 1, Col: indent + 1},
				Msg: "invalid YAML: tab characters are not allowed for indentation: indent with spaces"}, true
		}
		if flow > 0 {
			flow += strings.Count(body, "{") + strings.Count(body, "[") - strings.Count(body, "}") - strings.Count(body, "]")
			continue
		}
		m := yamlKeyRE.FindStringSubmatch(l)
		if m == nil {
			continue // a list item or a scalar: not a key
		}
		indent += len(m[2]) // a key after "- " is indented past the dash
		key, rest := strings.Trim(m[3], `"'`), m[4]
		popped := -1
		for len(stack) > 0 && stack[len(stack)-1].indent > indent {
			popped = stack[len(stack)-1].indent
			stack = stack[:len(stack)-1]
		}
		var parent *indentLevel
		if len(stack) > 0 {
			parent = &stack[len(stack)-1]
		}
		switch {
		case parent != nil && parent.indent == indent:
			stack = stack[:len(stack)-1] // a sibling
		case popped >= 0:
			return indentDiagnostic(file, i, indent, key, fmt.Sprintf("the keys of this mapping are indented %d spaces", popped)), true
		case parent != nil && parent.value:
			return indentDiagnostic(file, i, indent, key, fmt.Sprintf("it is indented under %q (line %d), which has its value on its own line; "+
				"indent it as %q (%d spaces) to make it a sibling", parent.key, parent.line+1, parent.key, parent.indent)), true
		}
		if strings.HasPrefix(rest, "#") {
			rest = ""
		}
		value := rest != "" && rest != "|" && rest != ">" && !strings.HasPrefix(rest, "&") && !strings.HasPrefix(rest, "!")
		if strings.HasPrefix(rest, "|") || strings.HasPrefix(rest, ">") {
			block, value = indent, true
		}
		if strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, "[") {
			flow = strings.Count(rest, "{") + strings.Count(rest, "[") - strings.Count(rest, "}") - strings.Count(rest, "]")
		}
		stack = append(stack, indentLevel{indent: indent, value: value, key: key, line: i})
	}
	return Diagnostic{}, false
}

func indentDiagnostic(file string, line, indent int, key, why string) Diagnostic {
	return Diagnostic{Pos: Pos{File: file, Line: line + 1, Col: indent + 1},
		Msg: fmt.Sprintf("invalid YAML: key %q is indented %d spaces, which matches no enclosing mapping: %s", key, indent, why)}
}
