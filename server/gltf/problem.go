package gltf

import (
	"fmt"
	"strings"
)

// Severity ranks a Problem, as in the Khronos glTF-Validator.
type Severity int

// Severities, most serious first.
const (
	// SeverityError makes an asset unusable; Parse fails with *InvalidError.
	SeverityError Severity = iota
	// SeverityWarning flags something legal but suspicious or wasteful.
	SeverityWarning
	// SeverityInfo is a remark that needs no action.
	SeverityInfo
)

// String returns "error", "warning" or "info".
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "info"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Problem is one finding about an asset. Code is a stable UPPER_SNAKE
// identifier (modelled on the Khronos glTF-Validator's issue codes where one
// fits); Pointer is a JSON pointer into the glTF JSON ("/accessors/3/min"),
// or empty when the problem concerns the container rather than the JSON.
type Problem struct {
	Severity Severity
	Code     string
	Pointer  string
	Message  string
}

// String formats the problem as one line: severity, code, pointer (when
// set) and message, e.g. "error ACCESSOR_INDEX_OOB /accessors/3: …".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Severity.String())
	b.WriteByte(' ')
	b.WriteString(p.Code)
	if p.Pointer != "" {
		b.WriteByte(' ')
		b.WriteString(p.Pointer)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// InvalidError is returned by the Parse functions when an asset has at least
// one error-severity problem. Problems holds every problem found (errors
// first in discovery order, warnings included).
type InvalidError struct {
	Problems []Problem
}

// Error summarises the first error and how many problems there are.
func (e *InvalidError) Error() string {
	var first *Problem
	errorCount := 0
	for i := range e.Problems {
		if e.Problems[i].Severity == SeverityError {
			if first == nil {
				first = &e.Problems[i]
			}
			errorCount++
		}
	}
	if first == nil {
		return "gltf: invalid asset"
	}
	if errorCount == 1 {
		return "gltf: invalid asset: " + first.String()
	}
	return fmt.Sprintf("gltf: invalid asset: %s (and %d more errors)", first.String(), errorCount-1)
}

// Lines returns each problem formatted by Problem.String, one per element,
// ready for an HTTP error's details.
func (e *InvalidError) Lines() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.String()
	}
	return out
}

// maxProblems bounds how many problems one asset can produce, so a file
// with millions of bad indices cannot exhaust memory through its report.
const maxProblems = 1000

// report collects problems during parsing and validation.
type report struct {
	problems  []Problem
	errors    int
	truncated bool
}

func (r *report) add(sev Severity, code, pointer, format string, args ...any) {
	if sev == SeverityError {
		r.errors++
	}
	if len(r.problems) >= maxProblems {
		if !r.truncated {
			r.truncated = true
			r.problems = append(r.problems, Problem{
				Severity: SeverityInfo, Code: "TOO_MANY_PROBLEMS",
				Message: fmt.Sprintf("only the first %d problems are listed", maxProblems),
			})
		}
		return
	}
	r.problems = append(r.problems, Problem{Severity: sev, Code: code, Pointer: pointer, Message: fmt.Sprintf(format, args...)})
}

func (r *report) errorf(code, pointer, format string, args ...any) {
	r.add(SeverityError, code, pointer, format, args...)
}

func (r *report) warnf(code, pointer, format string, args ...any) {
	r.add(SeverityWarning, code, pointer, format, args...)
}

func (r *report) infof(code, pointer, format string, args ...any) {
	r.add(SeverityInfo, code, pointer, format, args...)
}

func (r *report) hasErrors() bool { return r.errors > 0 }

// err returns *InvalidError when errors were found, else nil.
func (r *report) err() error {
	if !r.hasErrors() {
		return nil
	}
	return &InvalidError{Problems: r.sorted()}
}

// sorted returns the problems with errors before warnings before infos,
// keeping discovery order within a severity.
func (r *report) sorted() []Problem {
	out := make([]Problem, 0, len(r.problems))
	for _, sev := range []Severity{SeverityError, SeverityWarning, SeverityInfo} {
		for _, p := range r.problems {
			if p.Severity == sev {
				out = append(out, p)
			}
		}
	}
	return out
}

// warnings returns the non-error problems.
func (r *report) warnings() []Problem {
	var out []Problem
	for _, p := range r.sorted() {
		if p.Severity != SeverityError {
			out = append(out, p)
		}
	}
	return out
}

// ptr builds a JSON pointer from path segments (strings or ints), escaping
// "~" and "/" in string segments per RFC 6901.
func ptr(segments ...any) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		switch v := s.(type) {
		case string:
			v = strings.ReplaceAll(v, "~", "~0")
			b.WriteString(strings.ReplaceAll(v, "/", "~1"))
		case int:
			fmt.Fprintf(&b, "%d", v)
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}
