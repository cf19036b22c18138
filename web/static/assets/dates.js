// Due dates: people enter and read them in their own time zone; the API
// gets RFC 3339 with the local offset (it answers in UTC).

const pad = (n) => String(n).padStart(2, "0");

/** offsetOf gives "+02:00" / "-05:00" / "+00:00" for a local Date. */
function offsetOf(date) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * toRFC3339 turns a datetime-local value ("2026-12-01T17:30") into
 * "2026-12-01T17:30:00+01:00" in the browser's zone, or "" when empty or
 * not a time the zone has (the form then reports it).
 */
export function toRFC3339(localValue) {
  const m = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(localValue || "");
  if (!m) return "";
  const [, y, mo, d, h, mi, s = "00"] = m;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(date.getTime())) return "";
  date.setFullYear(Number(y)); // years 0-99 are not 1900-1999
  return `${y}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${offsetOf(date)}`;
}

/** toLocalInput turns the API's UTC time into a datetime-local value. */
export function toLocalInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const y = String(date.getFullYear()).padStart(4, "0");
  return `${y}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const formatter = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** formatLocal shows an API time as the reader's local date and time. */
export function formatLocal(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatter.format(date);
}

/** zoneName is the browser's IANA zone, e.g. "Europe/Paris", or "". */
export function zoneName() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

const DAY = 24 * 60 * 60 * 1000;

/** dayNumber counts local calendar days, so "tomorrow" follows the clock on the wall. */
function dayNumber(date) {
  return Math.round(new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime() / DAY);
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * relativeDue says when a due date falls, from now, as a person would:
 * "Due today", "Due tomorrow", "Due in 3 days", "Overdue by 2 days"
 * ("Overdue by 3 hours" on the day itself), or "Was due 2 days ago" for a
 * completed task. Beyond 60 days it gives the date. overdue tells whether
 * the task is late.
 */
export function relativeDue(iso, now = new Date(), done = false) {
  const due = new Date(iso);
  if (Number.isNaN(due.getTime())) return { text: `Due ${iso}`, overdue: false };
  const days = dayNumber(due) - dayNumber(now);
  const late = due.getTime() < now.getTime();
  if (late && !done) {
    if (days < 0) return { text: `Overdue by ${plural(-days, "day")}`, overdue: true };
    const hours = Math.floor((now.getTime() - due.getTime()) / (60 * 60 * 1000));
    const minutes = Math.floor((now.getTime() - due.getTime()) / (60 * 1000));
    return { text: hours >= 1 ? `Overdue by ${plural(hours, "hour")}` : `Overdue by ${plural(Math.max(minutes, 1), "minute")}`, overdue: true };
  }
  if (late) {
    if (days === 0) return { text: "Was due today", overdue: false };
    if (days === -1) return { text: "Was due yesterday", overdue: false };
    return { text: days >= -60 ? `Was due ${plural(-days, "day")} ago` : `Was due on ${dateOnly.format(due)}`, overdue: false };
  }
  if (days === 0) return { text: "Due today", overdue: false };
  if (days === 1) return { text: "Due tomorrow", overdue: false };
  return { text: days <= 60 ? `Due in ${plural(days, "day")}` : `Due on ${dateOnly.format(due)}`, overdue: false };
}

const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
