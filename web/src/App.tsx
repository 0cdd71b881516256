import { lazy, Suspense } from "react";
import { useMe, useSetupNeeded } from "./auth/session";
import { SignInScreen } from "./auth/SignInScreen";
import { SetupScreen } from "./auth/SetupScreen";
import { useI18n } from "./i18n/i18n";
import { ErrorNotice } from "./ErrorNotice";

// The inbox is only needed once signed in: the sign-in screen loads without it.
const InboxScreen = lazy(() => import("./inbox/InboxScreen").then((m) => ({ default: m.InboxScreen })));

/** Signed in: the inbox. Otherwise: create the first admin on a new install, else sign in. */
export function App() {
  const me = useMe();
  const setup = useSetupNeeded(me.data === null);
  if (me.isError) return <ErrorNotice error={me.error} onRetry={() => void me.refetch()} />;
  if (me.data === undefined) return <Loading />;
  if (me.data === null) {
    if (setup.isError) return <ErrorNotice error={setup.error} onRetry={() => void setup.refetch()} />;
    if (setup.data === undefined) return <Loading />;
    return setup.data ? <SetupScreen /> : <SignInScreen />;
  }
  return (
    <Suspense fallback={<Loading />}>
      <InboxScreen me={me.data} />
    </Suspense>
  );
}

function Loading() {
  const { t } = useI18n();
  return (
    <p className="loading" role="status">
      {t("loading")}
    </p>
  );
}
