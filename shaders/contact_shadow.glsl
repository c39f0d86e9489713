// contactShadow is the density of a soft contact shadow at p, a point in
// the shadow quad's unit disc (|p| = 1 is the rim): 1 at the centre,
// easing to about 0.7 at the footprint's edge (|p| = core) and to 0 at the
// rim with a smooth, derivative-free tail, so the shadow has no visible
// edge at any zoom.
float contactShadow(vec2 p, float core) {
    float r = length(p);
    float c = clamp(core, 0.05, 0.95);
    float inner = 1.0 - 0.3 * smoothstep(0.0, c, r);
    float t = clamp((r - c) / (1.0 - c), 0.0, 1.0);
    float outer = 1.0 - t;
    // Quintic smoothstep of the outer fade, then squared: a long, soft tail.
    float fade = outer * outer * outer * (outer * (outer * 6.0 - 15.0) + 10.0);
    return inner * (r < c ? 1.0 : fade * fade);
}
