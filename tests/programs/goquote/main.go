package main

import (
	"bufio"
	"encoding/json"
	"os"
	"runtime/debug"
	"strconv"
)

type mod struct {
	Path, Version, Sum []byte
	Replace            *mod
}

type resp struct {
	Out      []byte
	Err      string
	Path     []byte
	Main     *mod
	Deps     []mod
	Settings [][2][]byte
}

func conv(m debug.Module) *mod {
	r := &mod{Path: []byte(m.Path), Version: []byte(m.Version), Sum: []byte(m.Sum)}
	if m.Replace != nil {
		r.Replace = conv(*m.Replace)
	}
	return r
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	enc := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		var req struct {
			Op string
			In []byte
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			panic(err)
		}
		var out resp
		switch req.Op {
		case "quote":
			out.Out = []byte(strconv.Quote(string(req.In)))
		case "unquote":
			s, err := strconv.Unquote(string(req.In))
			out.Out = []byte(s)
			if err != nil {
				out.Err = err.Error()
			}
		case "parse":
			bi, err := debug.ParseBuildInfo(string(req.In))
			if err != nil {
				out.Err = err.Error()
				break
			}
			out.Out = []byte(bi.String())
			out.Path = []byte(bi.Path)
			out.Main = conv(bi.Main)
			for _, d := range bi.Deps {
				out.Deps = append(out.Deps, *conv(*d))
			}
			for _, s := range bi.Settings {
				out.Settings = append(out.Settings, [2][]byte{[]byte(s.Key), []byte(s.Value)})
			}
		}
		enc.Encode(out)
	}
}
