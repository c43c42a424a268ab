const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML element body or a double-quoted attribute value. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Tagged template that escapes every interpolated value unless it is already markup (`SafeHtml`). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(
  strings: TemplateStringsArray,
  ...values: Array<string | number | SafeHtml | SafeHtml[]>
): SafeHtml {
  let out = strings[0];
  values.forEach((v, i) => {
    const rendered = Array.isArray(v)
      ? v.map((s) => s.value).join('')
      : v instanceof SafeHtml
        ? v.value
        : escapeHtml(v);
    out += rendered + strings[i + 1];
  });
  return new SafeHtml(out);
}
