// A short session through the types openapi-typescript generates, with
// its default settings, from the document a server serves (make clients
// writes schema.d.ts beside this file): register, log in, create with only
// a title, list with a filter and a search and follow the cursor, update with If-Match
// clearing a field with null, delete, log out. tsc --strict must accept
// every body as the document types it; each answer is checked at run time.
import type { paths } from "./schema.js";

type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;
type Answer<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { "application/json": infer A } } };
}
  ? A
  : never;
type ListQuery = NonNullable<paths["/tasks"]["get"]["parameters"]["query"]>;

const base = process.argv[2] ?? "http://127.0.0.1:3000";
let token = "";

async function call<T>(step: string, method: string, path: string, want: number, body?: unknown, headers: Record<string, string> = {}): Promise<{ data: T; headers: Headers }> {
  const h: Record<string, string> = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const res = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== want) throw new Error(`${step}: status ${res.status}, want ${want}: ${text}`);
  return { data: JSON.parse(text) as T, headers: res.headers };
}

function query(q: ListQuery): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) s.set(k, String(v));
  return "?" + s.toString();
}

async function main(): Promise<void> {
  const name = "ts" + Date.now().toString(36);
  const password = "generated-client-pass";
  const reg: Body<"/auth/register", "post"> = { username: name, email: `${name}@example.com`, password };
  await call<Answer<"/auth/register", "post", 201>>("register", "POST", "/auth/register", 201, reg);
  const login: Body<"/auth/login", "post"> = { username: name, password };
  token = (await call<Answer<"/auth/login", "post", 200>>("login", "POST", "/auth/login", 200, login)).data.token;

  // Only a title: the server fills in the rest.
  const create: Body<"/tasks", "post"> = { title: "Buy milk" };
  const created = await call<Answer<"/tasks", "post", 201>>("create", "POST", "/tasks", 201, create);
  const task = created.data.task;
  if (task.status !== "pending" || task.priority !== "medium" || task.description !== null) {
    throw new Error(`create: defaults not applied: ${JSON.stringify(task)}`);
  }
  let etag = created.headers.get("ETag") ?? "";
  for (let i = 0; i < 3; i++) {
    const high: Body<"/tasks", "post"> = { title: `Call ${i}`, priority: "high", description: "about milk", due_date: `2030-01-0${i + 1}` };
    await call("create high", "POST", "/tasks", 201, high);
  }
  // High priority too, but without the word: the search leaves it out.
  const other: Body<"/tasks", "post"> = { title: "Call the plumber", priority: "high", description: "about the sink" };
  const plumber = (await call<Answer<"/tasks", "post", 201>>("create high without the word", "POST", "/tasks", 201, other)).data.task;

  // A filtered search (high priority, the word "milk": not "Buy milk",
  // which is medium, nor the plumber), two to a page, followed to its end
  // by the cursor.
  const q: ListQuery = { priority: "high", q: "milk", limit: 2 };
  const seen: number[] = [];
  for (let pages = 0; ; pages++) {
    if (pages > 5) throw new Error("list: the cursor never ends");
    const page = (await call<Answer<"/tasks", "get", 200>>("list", "GET", "/tasks" + query(q), 200)).data;
    for (const t of page.tasks) {
      if (t.priority !== "high") throw new Error(`list: the filter let through ${JSON.stringify(t)}`);
      if (t.id === plumber.id) throw new Error(`list: the search let through ${JSON.stringify(t)}`);
      seen.push(t.id);
    }
    if (page.next_cursor === null) break;
    q.cursor = page.next_cursor;
  }
  if (seen.length !== 3) throw new Error(`list: ${seen.length} high-priority tasks with "milk" over the pages, want 3`);

  // Set a description under If-Match, then clear it with null; a stale
  // ETag is refused.
  const set: Body<"/tasks/{id}", "put"> = { description: "2 litres" };
  const updated = await call<Answer<"/tasks/{id}", "put", 200>>("update", "PUT", `/tasks/${task.id}`, 200, set, { "If-Match": etag });
  if (updated.data.task.description !== "2 litres") throw new Error("update: description not set");
  const clear: Body<"/tasks/{id}", "put"> = { description: null };
  await call("update with a stale ETag", "PUT", `/tasks/${task.id}`, 412, clear, { "If-Match": etag });
  etag = updated.headers.get("ETag") ?? "";
  const cleared = await call<Answer<"/tasks/{id}", "put", 200>>("update clearing", "PUT", `/tasks/${task.id}`, 200, clear, { "If-Match": etag });
  if (cleared.data.task.description !== null || cleared.data.task.title !== "Buy milk") {
    throw new Error(`update: null did not clear the description alone: ${JSON.stringify(cleared.data.task)}`);
  }

  etag = cleared.headers.get("ETag") ?? "";
  await call<Answer<"/tasks/{id}", "delete", 200>>("delete", "DELETE", `/tasks/${task.id}`, 200, undefined, { "If-Match": etag });
  await call("get after delete", "GET", `/tasks/${task.id}`, 404);
  await call<Answer<"/auth/logout", "post", 200>>("logout", "POST", "/auth/logout", 200);
  await call("list after logout", "GET", "/tasks", 401);
  console.log("ts session: ok");
}

main().catch((err: unknown) => {
  console.error("ts session:", err instanceof Error ? err.message : err);
  process.exit(1);
});
