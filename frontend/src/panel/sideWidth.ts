// The side panel's width: the user drags its left edge; it stays within a sensible range and is
// remembered by this browser. The canvas beside it shrinks or grows, so fit, auto-layout, drops
// and click-adds (which read the canvas's box, canvas/drop.ts canvasRect) follow it.
import { readPref, writePref } from "../state/prefs";

export const SIDE_WIDTH_KEY = "weft.sidePanelWidth";
/** Narrower and the forms' fields get cramped. */
export const SIDE_MIN = 300;
/** Wider and lines of text get long; the canvas needs the room more. */
export const SIDE_MAX = 760;
/** The canvas beside the panel never gets narrower than this (unless the window is too small). */
export const CANVAS_MIN = 360;
/** A keyboard step (the arrow keys on the panel's edge). */
export const SIDE_STEP = 24;

/** `width` within [SIDE_MIN, SIDE_MAX], leaving CANVAS_MIN of `room` (the width the canvas and
 * the panel share) to the canvas; SIDE_MIN wins when the room is too small for both. */
export function clampSideWidth(width: number, room: number): number {
  const most = Math.min(SIDE_MAX, room - CANVAS_MIN);
  return Math.round(Math.max(SIDE_MIN, Math.min(most, width)));
}

/** The width a panel opens at when none is remembered: 30% of the window, 300 to 400 px. */
export function defaultSideWidth(windowWidth: number): number {
  return Math.round(Math.min(400, Math.max(SIDE_MIN, windowWidth * 0.3)));
}

/** The remembered width, or the default one. */
export function initialSideWidth(windowWidth: number): number {
  const saved = Number(readPref(SIDE_WIDTH_KEY));
  return Number.isFinite(saved) && saved > 0 ? saved : defaultSideWidth(windowWidth);
}

export function rememberSideWidth(width: number): void {
  writePref(SIDE_WIDTH_KEY, String(Math.round(width)));
}
