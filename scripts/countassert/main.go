//go:build ignore

// Countassert counts the assertion call sites of the module's tests, so
// that a change to the suite can show it checks no less than before. An
// assertion call site is a call of Error, Errorf, Fatal or Fatalf on a
// testing value (t, tb, b, f, rt), or a call of a helper that wraps them:
// a function, method or closure whose body calls Helper(). Each call site
// counts once, wherever it is (a helper's own t.Fatalf counts too). It
// reads syntax only, so a helper is matched by name: the same name in the
// same package, pkg.Name from another package, or .Name for a method that
// is handed a testing value (a method helper that keeps its t in its
// receiver is not counted, before or after a change alike).
//
// Run by scripts/count-assertions.sh; prints one line per package and a
// total.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var testingValues = map[string]bool{"t": true, "tb": true, "b": true, "f": true, "rt": true}

var asserts = map[string]bool{"Error": true, "Errorf": true, "Fatal": true, "Fatalf": true}

type file struct {
	dir  string // package directory, relative to the module root
	pkg  string // the directory's last element: how other packages name it
	ast  *ast.File
	path string
}

func main() {
	fset := token.NewFileSet()
	var files []file
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "node_modules", "tools", "web", ".git":
				if path != "." {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasPrefix(path, "scripts/") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		files = append(files, file{dir: dir, pkg: filepath.Base(dir), ast: f, path: path})
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	// Helpers: package-level functions (by directory and name), methods
	// (by name) and closures assigned to a name (by file and name).
	funcs := map[string]bool{}    // dir + "." + name
	methods := map[string]bool{}  // name
	closures := map[string]bool{} // path + "." + name
	for _, f := range files {
		for _, decl := range f.ast.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil || !callsHelper(fd.Body) {
				continue
			}
			if fd.Recv != nil {
				methods[fd.Name.Name] = true
			} else {
				funcs[f.dir+"."+fd.Name.Name] = true
			}
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for i, rhs := range as.Rhs {
				if lit, ok := rhs.(*ast.FuncLit); ok && i < len(as.Lhs) && callsHelper(lit.Body) {
					if id, ok := as.Lhs[i].(*ast.Ident); ok {
						closures[f.path+"."+id.Name] = true
					}
				}
			}
			return true
		})
	}
	dirOf := map[string]string{} // package name -> directory, for pkg.Name calls
	for _, f := range files {
		dirOf[f.pkg] = f.dir
	}

	counts := map[string]int{}
	for _, f := range files {
		n := 0
		ast.Inspect(f.ast, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				if funcs[f.dir+"."+fn.Name] || closures[f.path+"."+fn.Name] {
					n++
				}
			case *ast.SelectorExpr:
				x, _ := fn.X.(*ast.Ident)
				switch {
				case x != nil && testingValues[x.Name] && asserts[fn.Sel.Name] && len(call.Args) > 0:
					n++
				case x != nil && dirOf[x.Name] != "" && funcs[dirOf[x.Name]+"."+fn.Sel.Name]:
					n++
				case methods[fn.Sel.Name] && passesTestingValue(call):
					// A method is known by its name alone here; one that
					// is handed no testing value is another type's method
					// of the same name (handlers' Auth.Login, say).
					n++
				}
			}
			return true
		})
		counts[f.dir] += n
	}
	dirs := make([]string, 0, len(counts))
	total := 0
	for d, n := range counts {
		if n > 0 {
			dirs = append(dirs, d)
		}
		total += n
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		fmt.Printf("%-28s %5d\n", d, counts[d])
	}
	fmt.Printf("%-28s %5d\n", "assertion call sites", total)
}

// passesTestingValue reports whether one of call's arguments is a testing
// value (t, tb, b, f, rt).
func passesTestingValue(call *ast.CallExpr) bool {
	for _, a := range call.Args {
		if id, ok := a.(*ast.Ident); ok && testingValues[id.Name] {
			return true
		}
	}
	return false
}

// callsHelper reports whether body calls X.Helper() directly (not inside
// a nested closure, which is a helper of its own).
func callsHelper(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if found {
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Helper" && len(call.Args) == 0 {
				found = true
			}
		}
		return true
	})
	return found
}
