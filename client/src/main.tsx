// Client entry: mounts the SolidJS app.
import { render } from "solid-js/web";
import { App } from "./App.tsx";
import { TestBanner } from "./test-banner.tsx";
import "./styles.css";

render(
  () => (
    <>
      <TestBanner />
      <App />
    </>
  ),
  document.getElementById("root")!,
);
