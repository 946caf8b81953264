package leakscan
import ("testing";"fmt";"os";"io/fs";"path/filepath";"strings";"bytes")
func TestZZStat(t *testing.T){
	dir := os.Getenv("LEAKSCAN_CORPUS")
	var text []byte
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(text) >= 64<<20 || !d.Type().IsRegular() || skipExt[strings.ToLower(filepath.Ext(p))] { return nil }
		data, err := os.ReadFile(p)
		if err == nil && bytes.IndexByte(data[:min(len(data), sniffBytes)], 0) < 0 { text = append(text, data...) }
		return nil
	})
	m := getEngine().m
	pairHits:=map[string]int{}; np:=0
	for i:=0;i+1<len(text);i++{ x := uint32(text[i]) | uint32(text[i+1])<<8; if m.pairBits[x>>6]&(1<<(x&63))!=0 {np++; pairHits[strings.ToLower(string(text[i:i+2]))]++} }
	hits:=map[string]int{}
	m.scan(text, func(p,e int) bool { hits[m.pats[p]]++; return true })
	fmt.Println(len(text), np, pairHits, hits)
}
