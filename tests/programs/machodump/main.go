package main

import (
	"debug/macho"
	"encoding/json"
	"os"
)

type sect struct {
	Name, Seg     string
	Addr, Size    uint64
	Offset, Flags uint32
}
type seg struct {
	Name                        string
	Addr, Memsz, Offset, Filesz uint64
	Prot                        uint32
}
type image struct {
	Error    string `json:",omitempty"`
	Cpu      uint32
	Type     uint32
	Flags    uint32
	Cmds     []uint32
	Segments []seg
	Sections []sect
	Libs     []string
	Rpaths   []string
}

func dump(f *macho.File) image {
	im := image{Cpu: uint32(f.Cpu), Type: uint32(f.Type), Flags: f.Flags, Cmds: []uint32{}, Segments: []seg{},
		Sections: []sect{}, Rpaths: []string{}}
	for _, l := range f.Loads {
		raw := l.Raw()
		im.Cmds = append(im.Cmds, f.ByteOrder.Uint32(raw[0:4]))
		switch l := l.(type) {
		case *macho.Segment:
			im.Segments = append(im.Segments, seg{l.Name, l.Addr, l.Memsz, l.Offset, l.Filesz, l.Prot})
		case *macho.Rpath:
			im.Rpaths = append(im.Rpaths, l.Path)
		}
	}
	for _, s := range f.Sections {
		im.Sections = append(im.Sections, sect{s.Name, s.Seg, s.Addr, s.Size, s.Offset, s.Flags})
	}
	libs, _ := f.ImportedLibraries()
	im.Libs = append([]string{}, libs...)
	return im
}

func main() {
	out := map[string][]image{}
	for _, name := range os.Args[1:] {
		if ff, err := macho.OpenFat(name); err == nil {
			for _, a := range ff.Arches {
				out[name] = append(out[name], dump(a.File))
			}
			continue
		}
		f, err := macho.Open(name)
		if err != nil {
			out[name] = []image{{Error: err.Error()}}
			continue
		}
		out[name] = []image{dump(f)}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
