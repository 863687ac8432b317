package fbcheck

import "fmt"

// Kind is how a field is stored.
type Kind uint8

// Field kinds.
const (
	// Scalar is a scalar or an inline struct of Size bytes.
	Scalar Kind = iota + 1
	// String is a string of at most Max bytes.
	String
	// Vector is a vector of at most Max scalars or structs of Size bytes each.
	Vector
	// StringVector is a vector of at most Max strings of at most MaxStr bytes.
	StringVector
	// SubTable is a table described by Table.
	SubTable
	// Union is a union whose type byte is at Slot and whose value is at
	// Slot+2; Members[type] describes each member table (index 0 is NONE).
	Union
	// TableVector is a vector of at most Max tables described by Table.
	TableVector
)

// Field describes one field of a table.
type Field struct {
	// Name is the generated accessor's name; it names the field in errors and
	// lets tests check that a Schema covers every field of its table.
	Name    string
	Slot    uint16 // vtable offset: 4 + 2 * field id
	Kind    Kind
	Size    int
	Max     int
	MaxStr  int
	Table   *Schema
	Members []*Schema
}

// Schema describes the fields of one table that a check walks.
type Schema struct {
	Name   string
	Fields []Field
}

// Verify checks a whole buffer whose root table is described by s and, when
// ident is not empty, whose file identifier is ident. It returns the root
// table's position for the generated Init method.
func Verify(buf []byte, ident string, s *Schema, lim Limits) (uint32, error) {
	v := New(buf, lim)
	root, err := v.Root(ident)
	if err != nil {
		return 0, err
	}
	if err := v.Check(root, s); err != nil {
		return 0, err
	}
	return root.Pos, nil
}

// Check checks every field of table t that s describes.
func (v *Verifier) Check(t Table, s *Schema) error {
	for i := range s.Fields {
		if err := v.checkField(t, &s.Fields[i]); err != nil {
			return fmt.Errorf("%s.%s: %w", s.Name, s.Fields[i].Name, err)
		}
	}
	return nil
}

func (v *Verifier) checkField(t Table, f *Field) error {
	switch f.Kind {
	case Scalar:
		return v.Scalar(t, f.Slot, f.Size)
	case String:
		_, err := v.String(t, f.Slot, f.Max)
		return err
	case Vector:
		_, err := v.Vector(t, f.Slot, f.Size, f.Max)
		return err
	case StringVector:
		_, err := v.StringVector(t, f.Slot, f.Max, f.MaxStr)
		return err
	case SubTable:
		sub, ok, err := v.Table(t, f.Slot)
		if err != nil || !ok {
			return err
		}
		return v.nested(sub, f.Table)
	case TableVector:
		return v.tableVector(t, f)
	case Union:
		typ, value, err := v.Union(t, f.Slot, f.Slot+2)
		if err != nil || typ == 0 {
			return err
		}
		if int(typ) >= len(f.Members) || f.Members[typ] == nil {
			return v.fail(fmt.Sprintf("unknown union type %d", typ), uint64(t.Pos))
		}
		return v.nested(value, f.Members[typ])
	default:
		panic(fmt.Sprintf("fbcheck: field %s has no kind", f.Name)) // a bug in a Schema literal
	}
}

func (v *Verifier) nested(t Table, s *Schema) error {
	v.Enter()
	defer v.Leave()
	return v.Check(t, s)
}

// tableVector checks a vector of tables, each described by f.Table.
func (v *Verifier) tableVector(t Table, f *Field) error {
	pos, ok, err := v.ref(t, f.Slot)
	if err != nil || !ok {
		return err
	}
	start, n, err := v.vectorAt(pos, 4, f.Max)
	if err != nil {
		return err
	}
	if v.depth >= v.limits.MaxDepth {
		return v.fail("tables nested too deep", pos)
	}
	for i := 0; i < n; i++ {
		at := start + uint64(i)*4
		sub, err := v.table(at + uint64(v.u32(at)))
		if err != nil {
			return err
		}
		if err := v.nested(sub, f.Table); err != nil {
			return err
		}
	}
	return nil
}
