// The kitchen screen's words in Danish and English: its own small dictionary, so the wall screen loads no portal texts.
import { language } from "./language.ts";

const da = {
  acknowledge: "Kvittér",
  delivered: (numbers: string) => (numbers ? `Udleveret: ${numbers}` : "Ingen ordre fundet."),
  delivery: "Udlevering",
  error: "Noget gik galt. Prøv igen.",
  kitchenClock: "Klokken",
  kitchenMoveFailed: "Ordren kunne ikke flyttes. Skærmen er opdateret.",
  kitchenMuted: "Lyden er slået fra. Tryk én gang på skærmen for at få lyd ved nye ordrer.",
  kitchenSignIn: "Log skærmen på",
  kitchenTitle: "Køkkenskærm",
  kitchenToken: "Skærmens kode",
  kitchenWaited: (minutes: number) => `venter ${minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} t ${String(minutes % 60).padStart(2, "0")} min`}`,
  kitchenWrongToken: "Koden er ikke gyldig.",
  markDelivered: "Udleveret",
  markReady: "Klar",
  newOrders: (numbers: string) => `Ny ordre: ${numbers}`,
  orderStatus: { received: "Modtaget", in_progress: "I gang", ready: "Klar", delivered: "Udleveret", cancelled: "Annulleret" } as Record<string, string>,
  pickup: "Udlevering ved ordrenummer eller kortnummer",
  pickupButton: "Udlever",
  startOrder: "Start",
  toPrepare: "Skal laves",
  today: "I dag",
  tomorrow: "I morgen",
};

type Dictionary = typeof da;

const en: Dictionary = {
  acknowledge: "Acknowledge",
  delivered: (numbers: string) => (numbers ? `Handed out: ${numbers}` : "No order found."),
  delivery: "Delivery",
  error: "Something went wrong. Please try again.",
  kitchenClock: "Time",
  kitchenMoveFailed: "The order could not be moved. The screen has been refreshed.",
  kitchenMuted: "Sound is off. Touch the screen once to hear new orders.",
  kitchenSignIn: "Sign the screen in",
  kitchenTitle: "Kitchen screen",
  kitchenToken: "Screen code",
  kitchenWaited: (minutes: number) => `waiting ${minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`}`,
  kitchenWrongToken: "The code is not valid.",
  markDelivered: "Delivered",
  markReady: "Ready",
  newOrders: (numbers: string) => `New order: ${numbers}`,
  orderStatus: { received: "Received", in_progress: "In progress", ready: "Ready", delivered: "Delivered", cancelled: "Cancelled" } as Record<string, string>,
  pickup: "Pickup by order number or card number",
  pickupButton: "Hand out",
  startOrder: "Start",
  toPrepare: "To prepare",
  today: "Today",
  tomorrow: "Tomorrow",
};

/** The dictionary of the current language; reactive when read inside JSX or effects. */
export function kt(): Dictionary {
  return language() === "en" ? en : da;
}

/** Both dictionaries, for the test that every text reads well in either language. */
export const kitchenDictionaries = { da, en };
