package http3

import "strings"

// priority is an HTTP response's priority (RFC 9218 section 4): urgency 0 (most
// urgent) to 7, and whether its data may be interleaved with others' (incremental).
type priority struct {
	urgency     uint8
	incremental bool
}

// defaultPriority applies when a request says nothing (RFC 9218 sections 4.1, 4.2).
var defaultPriority = priority{urgency: 3}

// parsePriority parses a Priority field value or a PRIORITY_UPDATE's priority field
// value, a Structured Fields dictionary (RFC 8941 section 3.2) of which only "u" (an
// integer) and "i" (a boolean) matter. Unknown members and out-of-range values are
// ignored (RFC 9218 section 4); ok is false when the dictionary does not parse.
func parsePriority(s string) (p priority, ok bool) {
	p = defaultPriority
	for _, member := range strings.Split(s, ",") {
		member = strings.Trim(member, " \t")
		if member == "" {
			if strings.TrimSpace(s) == "" {
				return p, true
			}
			return defaultPriority, false
		}
		if i := strings.IndexByte(member, ';'); i >= 0 {
			member = member[:i] // parameters carry nothing for us
		}
		key, value, hasValue := strings.Cut(member, "=")
		if !validSFKey(key) {
			return defaultPriority, false
		}
		switch key {
		case "u":
			if hasValue && len(value) == 1 && value[0] >= '0' && value[0] <= '7' {
				p.urgency = value[0] - '0'
			}
		case "i":
			switch {
			case !hasValue, value == "?1":
				p.incremental = true
			case value == "?0":
				p.incremental = false
			}
		}
	}
	return p, true
}

// validSFKey checks a Structured Fields key: lowercase letter or '*' first, then
// lowercase letters, digits, '_', '-', '.', '*'.
func validSFKey(k string) bool {
	if k == "" || !(k[0] == '*' || k[0] >= 'a' && k[0] <= 'z') {
		return false
	}
	for i := 1; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("_-.*", c) >= 0) {
			return false
		}
	}
	return true
}
