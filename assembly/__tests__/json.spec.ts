import { parseJson } from "../config/json";

let parsed = parseJson("null");

function stringOf(source: string): string {
  parsed = parseJson(source);
  return parsed.value === null ? "ERROR: " + parsed.error : parsed.value!.text;
}

describe("JSON strings", () => {
  it("decodes every escape JSON has", () => {
    expect(stringOf('"a\\"b\\\\c\\/d\\n\\t\\r\\b\\f"')).toBe("a\"b\\c/d\n\t\r\u0008\u000c");
    expect(stringOf('"\\u0041\\u00e9\\u20AC"')).toBe("Aé€");
    expect(stringOf('"plain"')).toBe("plain");
  });

  it("refuses escapes JSON does not have", () => {
    expect(stringOf('"\\x41"').startsWith("ERROR: invalid escape")).toBe(true);
    expect(stringOf('"\\u00zz"').startsWith("ERROR: invalid \\u escape")).toBe(true);
    expect(stringOf('"\\u+041"').startsWith("ERROR: invalid \\u escape")).toBe(true);
    expect(stringOf('"\\u12"').startsWith("ERROR")).toBe(true);
    expect(stringOf('"a\tb"').startsWith("ERROR: control character")).toBe(true);
    expect(stringOf('"unterminated\\n').startsWith("ERROR: unterminated")).toBe(true);
  });

  it("decodes a long string of escapes whole (one buffer, not one string per escape)", () => {
    let source = '"';
    for (let i = 0; i < 20000; i++) source += "\\u0041";
    source += '"';
    const value = stringOf(source);
    expect(value.length).toBe(20000);
    expect(value.charCodeAt(19999)).toBe(0x41);
  });
});
