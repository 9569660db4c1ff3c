/**
 * The little XML the fake Route 53 needs: a parser for the request bodies
 * the AWS SDK sends (elements and text, no attributes but `xmlns`), and
 * builders for replies in the shapes of the Route 53 API reference
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/).
 * @module
 */

/** A parsed element: its name, its child elements, its text. */
export interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

/** Route 53's XML namespace (API version 2013-04-01). */
export const XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/";

/**
 * @param text an XML document
 * @returns its root element
 * @throws {Error} when it is not well formed
 */
export function parseXml(text: string): XmlNode {
  const body = text.replace(/^<\?xml[^>]*\?>/, "").trim();
  const root: XmlNode = { name: "", children: [], text: "" };
  const stack = [root];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)([^>]*?)(\/?)>|([^<]+)/g;
  for (const m of body.matchAll(tag)) {
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) {
      top.text += unescape(m[5]);
    } else if (m[1] === "/") {
      if (top.name !== m[2]) throw new Error(`unexpected </${m[2]}>`);
      stack.pop();
    } else {
      const node: XmlNode = { name: m[2]!, children: [], text: "" };
      top.children.push(node);
      if (m[4] !== "/") stack.push(node);
    }
  }
  if (stack.length !== 1 || root.children.length !== 1) {
    throw new Error("not a single well-formed element");
  }
  return root.children[0]!;
}

/** @returns the first child named `name` */
export function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** @returns every child named `name` */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  return node?.children.filter((c) => c.name === name) ?? [];
}

/** @returns the trimmed text of the child `name`, if present */
export function textOf(node: XmlNode, name: string): string | undefined {
  const c = child(node, name);
  return c ? c.text.trim() : undefined;
}

/** Escapes text for an element body. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function unescape(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

/**
 * @param name the element
 * @param inner its content, already XML
 * @returns `<name>inner</name>`
 */
export function el(name: string, inner: string | number | boolean): string {
  return `<${name}>${
    typeof inner === "string" ? inner : String(inner)
  }</${name}>`;
}

/** @returns a full reply document with the Route 53 namespace */
export function doc(root: string, inner: string): string {
  return `<?xml version="1.0"?>\n<${root} xmlns="${XMLNS}">${inner}</${root}>`;
}

/**
 * An error reply. Route 53 sends every error, InvalidChangeBatch included,
 * as a standard `ErrorResponse` (aws/aws-sdk-kotlin pull request 1435,
 * "Route53 no longer returns non-standard InvalidChangeBatch errors"), with
 * an InvalidChangeBatch's messages joined as `[m1, m2]`.
 */
export function errorDoc(
  type: "Sender" | "Receiver",
  code: string,
  message: string,
): string {
  return doc(
    "ErrorResponse",
    el(
      "Error",
      el("Type", type) + el("Code", code) + el("Message", esc(message)),
    ) +
      el("RequestId", crypto.randomUUID()),
  );
}
