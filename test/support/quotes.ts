// repin rewrites XML in place, so its output keeps the input's quote style; xmldom (the
// fallback, and these tests' own writing) uses double quotes. For assertions that spell
// attributes out: every attribute written with double quotes.
export const doubleQuoted = (xml: string): string => xml.replace(/(\s[\w:.-]+)='([^'"<]*)'/g, '$1="$2"');
