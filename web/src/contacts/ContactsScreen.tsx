import { useEffect, useId, useState } from "react";
import type { Account, ContactDetail, Conversation, Me } from "../api/client";
import { may, useAccounts, useContact, useContacts } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { listTime } from "../format/time";
import { useI18n } from "../i18n/i18n";
import { Avatar } from "../inbox/Avatar";
import { previewOf } from "../inbox/preview";
import { contactsPath, conversationPath, followLink } from "../inbox/route";

/** How people read a contact: their name, else their number, else their username, else the stored id. */
export function contactLabel(contact: Pick<ContactDetail, "contact_id" | "name" | "wa_id" | "username">): string {
  return contact.name ?? (contact.wa_id ? `+${contact.wa_id}` : null) ?? contact.username ?? contact.contact_id;
}

/** The customers who wrote to a number the user may see, searched by name or number; one of them open. */
export function ContactsScreen({ me, contactId }: { me: Me; contactId: string | null }) {
  const { t } = useI18n();
  return (
    <main className="inbox-body">
      <aside className="sidebar" aria-label={t("contacts.list")}>
        <ContactList openId={contactId} />
      </aside>
      <div className="conversation-pane">
        {contactId ? (
          <ContactCard key={contactId} id={contactId} me={me} />
        ) : (
          <p className="empty">{t("contacts.pick")}</p>
        )}
      </div>
    </main>
  );
}

function ContactList({ openId }: { openId: string | null }) {
  const { t, locale } = useI18n();
  const searchId = useId();
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  useEffect(() => {
    if (text === q) return;
    const timer = setTimeout(() => setQ(text), 250);
    return () => clearTimeout(timer);
  }, [text, q]);
  const contacts = useContacts(q);
  const all = contacts.data?.pages.flatMap((p) => p.contacts) ?? [];
  return (
    <>
      <div className="conversation-filters">
        <label htmlFor={searchId} className="visually-hidden">
          {t("contacts.search")}
        </label>
        <input
          id={searchId}
          type="search"
          placeholder={t("contacts.search")}
          maxLength={100}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </div>
      {contacts.isError ? (
        <ErrorNotice error={contacts.error} onRetry={() => void contacts.refetch()} />
      ) : contacts.data === undefined ? (
        <p className="loading" role="status">
          {t("loading")}
        </p>
      ) : all.length === 0 ? (
        <p className="empty">{t("contacts.empty")}</p>
      ) : (
        <div className="contact-list-scroll">
          <ul className="contact-list" aria-label={t("contacts.list")}>
            {all.map((c) => (
              <li key={c.contact_id}>
                <a
                  href={contactsPath(c.contact_id)}
                  className="conversation-row"
                  aria-current={c.contact_id === openId ? "page" : undefined}
                  onClick={(e) => followLink(e, contactsPath(c.contact_id))}
                >
                  <Avatar name={c.name} seed={c.contact_id} />
                  <span className="row-main">
                    <span className="row-top">
                      <span className="row-name">{contactLabel(c)}</span>
                      <time className="row-time" dateTime={c.last_seen_at}>
                        {listTime(c.last_seen_at, locale)}
                      </time>
                    </span>
                    {c.name && c.wa_id && (
                      <span className="row-bottom">
                        <span className="row-preview">+{c.wa_id}</span>
                      </span>
                    )}
                  </span>
                </a>
              </li>
            ))}
          </ul>
          {contacts.hasNextPage && (
            <button
              type="button"
              className="load-more"
              disabled={contacts.isFetchingNextPage}
              onClick={() => void contacts.fetchNextPage()}
            >
              {contacts.isFetchingNextPage ? t("loading") : t("contacts.more")}
            </button>
          )}
        </div>
      )}
    </>
  );
}

function accountLabel(accounts: Account[] | undefined, id: string): string {
  const account = accounts?.find((a) => a.id === id);
  if (!account) return id;
  const name = account.name ?? account.display_name;
  const number = account.phone_number ?? account.id;
  return name ? `${name} (${number})` : number;
}

/** One contact: who they are, and their conversations on every number, each opening in the inbox. */
function ContactCard({ id, me }: { id: string; me: Me }) {
  const { t, locale } = useI18n();
  const contact = useContact(id);
  const accounts = useAccounts(may(me, "accounts.view"));
  if (contact.isError) return <ErrorNotice error={contact.error} onRetry={() => void contact.refetch()} />;
  if (contact.data === undefined) {
    return (
      <p className="loading" role="status">
        {t("loading")}
      </p>
    );
  }
  const { contact: who, conversations } = contact.data;
  const name = contactLabel(who);
  const day = (iso: string) =>
    new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  return (
    <section className="contact-card" aria-labelledby="contact-name">
      <header className="conversation-header">
        <a href={contactsPath()} className="back" onClick={(e) => followLink(e, contactsPath())}>
          <span aria-hidden="true">←</span>
          <span className="visually-hidden">{t("contacts.back")}</span>
        </a>
        <Avatar name={who.name} seed={who.contact_id} />
        <h2 id="contact-name">{name}</h2>
      </header>
      <dl className="contact-facts">
        {who.wa_id && (
          <>
            <dt>{t("contacts.number")}</dt>
            <dd>+{who.wa_id}</dd>
          </>
        )}
        {who.username && (
          <>
            <dt>{t("contacts.username")}</dt>
            <dd>{who.username}</dd>
          </>
        )}
        <dt>{t("contacts.firstSeen")}</dt>
        <dd>
          <time dateTime={who.first_seen_at}>{day(who.first_seen_at)}</time>
        </dd>
        <dt>{t("contacts.lastSeen")}</dt>
        <dd>
          <time dateTime={who.last_seen_at}>{day(who.last_seen_at)}</time>
        </dd>
      </dl>
      <h3 id="contact-conversations">{t("contacts.conversations", { name })}</h3>
      {conversations.length === 0 ? (
        <p className="empty">{t("contacts.noConversations")}</p>
      ) : (
        <ul className="contact-conversations" aria-labelledby="contact-conversations">
          {conversations.map((c) => (
            <ContactConversation
              key={c.id}
              conversation={c}
              account={accountLabel(accounts.data, c.account_id)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function ContactConversation({ conversation, account }: { conversation: Conversation; account: string }) {
  const { t, locale } = useI18n();
  const last = conversation.last_message;
  const path = conversationPath(conversation.id);
  return (
    <li>
      <a href={path} className="conversation-row" onClick={(e) => followLink(e, path)}>
        <span className="row-main">
          <span className="row-top">
            <span className="row-name">{t("contacts.on", { account })}</span>
            {last && (
              <time className="row-time" dateTime={last.at}>
                {listTime(last.at, locale)}
              </time>
            )}
          </span>
          <span className="row-bottom">
            <span className="row-preview">{previewOf(conversation, t)}</span>
            <span className="badge">{t("contacts.messages", { count: conversation.message_count })}</span>
          </span>
        </span>
      </a>
    </li>
  );
}
