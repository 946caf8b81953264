package leakscan
import ("testing";"os";"io/fs";"path/filepath";"strings";"bytes";"encoding/binary")
var zzText []byte
func zzLoad(b *testing.B) []byte {
	if zzText!=nil {return zzText}
	dir := os.Getenv("LEAKSCAN_CORPUS")
	var text []byte
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(text) >= 64<<20 || !d.Type().IsRegular() || skipExt[strings.ToLower(filepath.Ext(p))] { return nil }
		data, err := os.ReadFile(p)
		if err == nil && bytes.IndexByte(data[:min(len(data), sniffBytes)], 0) < 0 { text = append(text, data...) }
		return nil
	})
	zzText=text; return text
}
var zzTab [1<<16]uint8
func init(){ m:=getEngine().m; for x:=0;x<1<<16;x++{ if m.pairBits[x>>6]&(1<<(x&63))!=0 {zzTab[x]=1} } }
func scanV2(b []byte) int { n:=0; for i:=0;i+1<len(b);i++{ if zzTab[uint16(b[i])|uint16(b[i+1])<<8]!=0 {n++} }; return n }
func scanV3(b []byte) int {
	n:=0; i:=0; t:=&zzTab
	for ; i+9 <= len(b); i+=8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if t[uint16(w)]|t[uint16(w>>8)]|t[uint16(w>>16)]|t[uint16(w>>24)]|t[uint16(w>>32)]|t[uint16(w>>40)]|t[uint16(w>>48)]|t[uint16(w>>56)|uint16(b[i+8])<<8] != 0 {
			for j:=i;j<i+8;j++{ if t[uint16(b[j])|uint16(b[j+1])<<8]!=0 {n++} }
		}
	}
	for ;i+1<len(b);i++{ if t[uint16(b[i])|uint16(b[i+1])<<8]!=0 {n++} }
	return n
}
func scanV4(b []byte, m *matcher) int {
	n:=0; i:=0; bits:=&m.pairBits
	for ; i+9 <= len(b); i+=8 {
		w := binary.LittleEndian.Uint64(b[i:])
		x0:=uint16(w); x1:=uint16(w>>8); x2:=uint16(w>>16); x3:=uint16(w>>24); x4:=uint16(w>>32); x5:=uint16(w>>40); x6:=uint16(w>>48); x7:=uint16(w>>56)|uint16(b[i+8])<<8
		if (bits[x0>>6]>>(x0&63)|bits[x1>>6]>>(x1&63)|bits[x2>>6]>>(x2&63)|bits[x3>>6]>>(x3&63)|bits[x4>>6]>>(x4&63)|bits[x5>>6]>>(x5&63)|bits[x6>>6]>>(x6&63)|bits[x7>>6]>>(x7&63))&1 != 0 {
			for j:=i;j<i+8;j++{ if zzTab[uint16(b[j])|uint16(b[j+1])<<8]!=0 {n++} }
		}
	}
	return n
}
func BenchmarkZZV1(b *testing.B){ t:=zzLoad(b); m:=getEngine().m; b.SetBytes(int64(len(t))); for b.Loop(){ m.scan(t, func(p,e int)bool{return true}) } }
func BenchmarkZZV2(b *testing.B){ t:=zzLoad(b); b.SetBytes(int64(len(t))); for b.Loop(){ scanV2(t) } }
func BenchmarkZZV3(b *testing.B){ t:=zzLoad(b); b.SetBytes(int64(len(t))); for b.Loop(){ scanV3(t) } }
func BenchmarkZZV4(b *testing.B){ t:=zzLoad(b); b.SetBytes(int64(len(t))); m:=getEngine().m; for b.Loop(){ scanV4(t,m) } }
