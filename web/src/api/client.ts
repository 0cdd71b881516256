import createClient from "openapi-fetch";
import type { components, paths } from "./schema.gen";

/**
 * The API client, typed from `openapi.json` (generated into `schema.gen.ts` before every build): a route
 * the server changes breaks the build here, not a user. Same-origin requests carry the HttpOnly session
 * cookie; the app never sees a token.
 */
export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

export type Schemas = components["schemas"];
export type Conversation = Schemas["Conversation"];
export type ConversationPage = Schemas["ConversationPage"];
export type Message = Schemas["Message"];
export type MessagePage = Schemas["MessagePage"];
export type Account = Schemas["Account"];
export type Me = Schemas["Me"];
export type AuditEvent = Schemas["AuditEvent"];
export type AuditTrail = Schemas["AuditTrail"];
export type ContactPage = Schemas["ContactPage"];
export type ContactDetail = Schemas["ContactDetail"];
export type ContactWithConversations = Schemas["ContactWithConversations"];
export type Limits = Schemas["Limits"];

/**
 * An API refusal, with the server's stable code, its message for people, and its `details` (where a
 * refusal Meta made carries Meta's own code).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The `{ error: { code, message } }` body every refusal has, read defensively. */
export function apiError(status: number, body: unknown): ApiError {
  const detail =
    typeof body === "object" && body !== null && "error" in body
      ? (body as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error
      : undefined;
  const code = typeof detail?.code === "string" ? detail.code : `http_${status}`;
  const message = typeof detail?.message === "string" ? detail.message : `HTTP ${status}`;
  return new ApiError(status, code, message, detail?.details ?? null);
}

/** The data of an openapi-fetch answer, or its refusal thrown (what TanStack Query expects). */
export function unwrap<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.error !== undefined || answer.data === undefined) {
    throw apiError(answer.response.status, answer.error);
  }
  return answer.data;
}
