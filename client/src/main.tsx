// Client entry: picks the app for this address and loads only its code (portal, back office, till or kitchen screen).
import { render } from "solid-js/web";
import type { Component } from "solid-js";
import { TestBanner } from "./test-banner.tsx";
import "./styles.css";

/**
 * Each app is its own chunk: a phone opening the portal never downloads the back office, the till or the kitchen
 * screen. The till's service worker keeps the till's chunks (kasse-precache.json, written by the build) for offline use.
 */
function loadApp(pathname: string): Promise<Component> {
  if (pathname.startsWith("/kitchen")) return import("./pages/Kitchen.tsx").then((module) => module.KitchenPage);
  if (pathname.startsWith("/admin")) return import("./pages/Admin.tsx").then((module) => module.AdminPage);
  if (pathname.startsWith("/kasse")) return import("./pages/Kasse.tsx").then((module) => module.KassePage);
  return import("./Portal.tsx").then((module) => module.PortalApp);
}

void loadApp(window.location.pathname).then((App) =>
  render(
    () => (
      <>
        <TestBanner />
        <App />
      </>
    ),
    document.getElementById("root")!,
  ),
);
