package checklist

import (
	"encoding/json"
	"reflect"

	"reclaim/provider"
)

// sanitizeStrings replaces, in place, every string reachable from v (struct
// fields, slices, maps, pointers) with its sanitized form: the JSON report
// carries no escape, control, bidi or zero-width character, even escaped
// (a "\u001b" in JSON is an escape code again for whoever decodes it).
func sanitizeStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			sanitizeStrings(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() || f.Kind() != reflect.String {
				sanitizeStrings(f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			sanitizeStrings(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			val := v.MapIndex(k)
			c := reflect.New(val.Type()).Elem()
			c.Set(val)
			sanitizeStrings(c)
			nk := k
			if k.Kind() == reflect.String {
				nk = reflect.ValueOf(provider.Sanitize(k.String())).Convert(k.Type())
				if nk.String() != k.String() {
					v.SetMapIndex(k, reflect.Value{})
				}
			}
			v.SetMapIndex(nk, c)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(provider.Sanitize(v.String()))
		}
	}
}

// sanitizedCopy returns a sanitized deep copy of a JSON-shaped value.
func sanitizedCopy[T any](x T) T {
	c := cloneJSON(x)
	sanitizeStrings(reflect.ValueOf(&c).Elem())
	return c
}

// cloneJSON deep-copies a value through JSON (the report's shapes are all
// plain JSON data).
func cloneJSON[T any](x T) T {
	var c T
	b, err := json.Marshal(x)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return c
}
