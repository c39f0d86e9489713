package blob

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		ok   bool
	}{
		{"simple", "a", true},
		{"nested", "models/sku-1/v3/original.glb", true},
		{"dot file", "a/.hidden", true},
		{"dots inside a segment", "a/..b/c..", true},
		{"tmp-like name", ".tmp/x", true},
		{"unicode", "produits/chaise-été/photo.jpg", true},
		{"spaces", "a b/c d", true},
		{"exactly the limit", strings.Repeat("k", MaxKeyBytes), true},

		{"empty", "", false},
		{"over the limit", strings.Repeat("k", MaxKeyBytes+1), false},
		{"leading slash", "/a", false},
		{"trailing slash", "a/", false},
		{"double slash", "a//b", false},
		{"lone slash", "/", false},
		{"dot segment", "a/./b", false},
		{"dot only", ".", false},
		{"dotdot segment", "a/../b", false},
		{"dotdot prefix", "../a", false},
		{"dotdot suffix", "a/..", false},
		{"backslash", `a\b`, false},
		{"NUL", "a\x00b", false},
		{"newline", "a\nb", false},
		{"DEL", "a\x7fb", false},
		{"C1 control", "a\u0085b", false},
		{"invalid UTF-8", "a\xffb", false},
		{"truncated UTF-8", "caf\xc3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateKey(tt.key)
			if tt.ok {
				if err != nil {
					t.Fatalf("ValidateKey(%q) = %v, want nil", tt.key, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ValidateKey(%q) = %v, want an error wrapping ErrInvalidKey", tt.key, err)
			}
		})
	}
}

func TestValidatePrefix(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		ok     bool
	}{
		{"empty lists everything", "", true},
		{"directory-like", "models/", true},
		{"partial segment", "models/sku-1/v", true},
		{"partial dot segment", "a/.", true},
		{"partial dotdot segment", "a/..", true},
		{"single partial", "mod", true},
		{"dot alone", ".", true},
		{"exactly the limit", strings.Repeat("p", MaxKeyBytes), true},

		{"lone slash", "/", false},
		{"leading slash", "/models", false},
		{"double slash", "a//", false},
		{"empty inner segment", "a//b", false},
		{"complete dot segment", "a/./", false},
		{"complete dotdot segment", "../a", false},
		{"backslash", `a\`, false},
		{"control", "a\tb", false},
		{"invalid UTF-8", "\xfe", false},
		{"over the limit", strings.Repeat("p", MaxKeyBytes+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePrefix(tt.prefix)
			if tt.ok {
				if err != nil {
					t.Fatalf("ValidatePrefix(%q) = %v, want nil", tt.prefix, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ValidatePrefix(%q) = %v, want an error wrapping ErrInvalidKey", tt.prefix, err)
			}
		})
	}
}

// Every valid key must be a valid prefix (List(key) finds key itself).
func FuzzValidateKey(f *testing.F) {
	for _, seed := range []string{"a", "a/b", "a/../b", "./x", "a\\b", "\x00", "é/ü"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidateKey(key)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ValidateKey(%q) = %v, not wrapping ErrInvalidKey", key, err)
			}
			return
		}
		if perr := ValidatePrefix(key); perr != nil {
			t.Fatalf("valid key %q is not a valid prefix: %v", key, perr)
		}
		for seg := range strings.SplitSeq(key, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("valid key %q has segment %q", key, seg)
			}
		}
	})
}

func TestContentTypeFor(t *testing.T) {
	tests := []struct {
		key  string
		want string
	}{
		{"models/a/original.glb", "model/gltf-binary"},
		{"models/a/scene.gltf", "model/gltf+json"},
		{"models/a/BUFFER.BIN", "application/octet-stream"},
		{"photos/a/1.PNG", "image/png"},
		{"photos/a/1.jpeg", "image/jpeg"},
		{"catalog/manifest.json", "application/json"},
		{"viewer/index.html", "text/html; charset=utf-8"},
		{"no-extension", DefaultContentType},
		{"dir.d/no-extension", DefaultContentType},
		{"odd.unknown-ext-xyz", DefaultContentType},
	}
	for _, tt := range tests {
		if got := ContentTypeFor(tt.key); got != tt.want {
			t.Errorf("ContentTypeFor(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
