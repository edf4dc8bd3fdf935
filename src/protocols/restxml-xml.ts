// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A small, strict XML reader and writer for rest-xml bodies. Request bodies of rest-xml
 * operations are small documents (bucket configurations, Delete, CompleteMultipartUpload), so the
 * reader builds a tree; it keeps text exactly (S3 keys may hold any whitespace) and refuses
 * DOCTYPE/entities beyond the five predefined ones and character references.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element. */
  text: string;
}

export class XmlSyntaxError extends Error {}

const NAME_RE = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new XmlSyntaxError(`unterminated entity ${m}`);
    if (body[0] === '#') {
      const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(cp) || cp > 0x10ffff) throw new XmlSyntaxError(`bad character reference ${m}`);
      return String.fromCodePoint(cp);
    }
    switch (body) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: throw new XmlSyntaxError(`unknown entity ${m}`);
    }
  });
}

/** Parses a document and returns its root element. Throws XmlSyntaxError when not well-formed. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const n = src.length;
  if (src.charCodeAt(0) === 0xfeff) i = 1;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const readName = (): string => {
    NAME_RE.lastIndex = i;
    const m = NAME_RE.exec(src);
    if (!m) throw new XmlSyntaxError(`expected a name at offset ${i}`);
    i += m[0].length;
    return m[0];
  };
  const skipWs = () => {
    while (i < n && /\s/.test(src[i])) i++;
  };

  while (i < n) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const raw = src.slice(i, textEnd);
      if (stack.length) stack[stack.length - 1].text += decodeEntities(raw);
      else if (raw.trim()) throw new XmlSyntaxError('text outside the root element');
      i = textEnd;
      continue;
    }
    // at '<'
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i);
      if (end < 0) throw new XmlSyntaxError('unterminated processing instruction');
      i = end + 2;
    } else if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) throw new XmlSyntaxError('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i);
      if (end < 0 || !stack.length) throw new XmlSyntaxError('bad CDATA section');
      stack[stack.length - 1].text += src.slice(i + 9, end);
      i = end + 3;
    } else if (src.startsWith('<!', i)) {
      throw new XmlSyntaxError('DOCTYPE and declarations are not accepted');
    } else if (src.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipWs();
      if (src[i] !== '>') throw new XmlSyntaxError(`bad end tag </${name}`);
      i++;
      const top = stack.pop();
      if (!top || top.name !== name) throw new XmlSyntaxError(`mismatched end tag </${name}>`);
    } else {
      i++;
      const name = readName();
      const el: XmlElement = { name, attrs: {}, children: [], text: '' };
      for (;;) {
        const before = i;
        skipWs();
        if (src[i] === '/' && src[i + 1] === '>') {
          i += 2;
          attach(el);
          break;
        }
        if (src[i] === '>') {
          i++;
          attach(el);
          stack.push(el);
          break;
        }
        if (i === before) throw new XmlSyntaxError(`bad start tag <${name}`);
        const an = readName();
        skipWs();
        if (src[i] !== '=') throw new XmlSyntaxError(`attribute ${an} without value`);
        i++;
        skipWs();
        const q = src[i];
        if (q !== '"' && q !== "'") throw new XmlSyntaxError(`attribute ${an} value not quoted`);
        const end = src.indexOf(q, i + 1);
        if (end < 0) throw new XmlSyntaxError('unterminated attribute value');
        el.attrs[an] = decodeEntities(src.slice(i + 1, end));
        i = end + 1;
      }
    }
  }
  if (stack.length || !root) throw new XmlSyntaxError(stack.length ? `unclosed element <${stack[stack.length - 1].name}>` : 'no root element');
  return root;

  function attach(el: XmlElement) {
    if (stack.length) stack[stack.length - 1].children.push(el);
    else if (root) throw new XmlSyntaxError('more than one root element');
    else root = el;
  }
}

/** The local part of a possibly prefixed element name. */
export function localName(name: string): string {
  const c = name.indexOf(':');
  return c < 0 ? name : name.slice(c + 1);
}

// characters XML 1.0 cannot carry literally (and \r, which parsers would normalise away)
// eslint-disable-next-line no-control-regex
const ESC_RE = /[&<>"'\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f\ufffe\uffff]/g;

export function escapeXml(s: string): string {
  return s.replace(ESC_RE, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      default: return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
