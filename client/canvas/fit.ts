/**
 * Zoom to fit, everywhere (on open, the toolbar button, Shift+1, the canvas controls,
 * after auto-layout): never closer than 100 % and never farther than `READABLE_ZOOM`, where
 * node titles, models and previews can still be read. A flow too big for the view at that
 * zoom shows its centre; scroll or zoom out by hand to see the rest.
 */
export const READABLE_ZOOM = 0.5;

export const FIT_VIEW = { padding: 0.2, maxZoom: 1, minZoom: READABLE_ZOOM } as const;

/** The same, animated (buttons and shortcuts). */
export const FIT_VIEW_ANIMATED = { ...FIT_VIEW, duration: 200 } as const;
