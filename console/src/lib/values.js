// flowgrid.v1.Value in its proto JSON form ({"string_value": "x"},
// {"int_value": "42"}, {"list_value": {"items": [...]}}, ...) as text.
// int64 values arrive as strings and are printed as they are, so they stay
// exact beyond 2^53.

/** One Value as JSON-like text; `indent` as for JSON.stringify. */
export function formatValue(value, indent = 2) {
  return render(value, indent, 0);
}

/** A map<string, Value> (inputs, outputs) as one JSON-like object text. */
export function formatValueMap(map, indent = 2) {
  return render({ object_value: { fields: map ?? {} } }, indent, 0);
}

function render(value, indent, depth) {
  if (value === undefined || value === null) return 'null';
  if ('null_value' in value) return 'null';
  if ('bool_value' in value) return value.bool_value ? 'true' : 'false';
  if ('int_value' in value) return String(value.int_value);
  if ('double_value' in value) return renderDouble(value.double_value);
  if ('string_value' in value) return JSON.stringify(value.string_value);
  const pad = ' '.repeat(indent * (depth + 1));
  const end = ' '.repeat(indent * depth);
  const sep = indent ? `,\n${pad}` : ', ';
  if ('list_value' in value) {
    const items = value.list_value?.items ?? [];
    if (items.length === 0) return '[]';
    const body = items.map((item) => render(item, indent, depth + 1)).join(sep);
    return indent ? `[\n${pad}${body}\n${end}]` : `[${body}]`;
  }
  if ('object_value' in value) {
    const fields = value.object_value?.fields ?? {};
    const keys = Object.keys(fields).sort();
    if (keys.length === 0) return '{}';
    const body = keys.map((k) => `${JSON.stringify(k)}: ${render(fields[k], indent, depth + 1)}`)
      .join(sep);
    return indent ? `{\n${pad}${body}\n${end}}` : `{${body}}`;
  }
  // A Value with no kind set is protobuf's default: null.
  return 'null';
}

// Proto JSON writes NaN and the infinities as strings.
function renderDouble(number) {
  if (typeof number === 'string') return number;
  return Number.isInteger(number) ? number.toFixed(1) : String(number);
}
