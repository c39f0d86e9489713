// Ground contact shadow: darkest under the model's footprint, fading
// smoothly to nothing at the quad's elliptical rim. Blended over the stage
// with premultiplied-free alpha (SRC_ALPHA, ONE_MINUS_SRC_ALPHA).
precision highp float;

#include <vitrine_contact_shadow>

// x: opacity at the centre (0..1); y: the footprint's share of the quad's
// radius (0..1), inside which the shadow is nearly solid; z, w unused.
uniform vec4 ShadowParams;
// Colour of the shadow, linear RGB.
uniform vec3 ShadowColor;

in vec2 Footprint;
out vec4 FragColor;

void main() {
    float alpha = ShadowParams.x * contactShadow(Footprint, ShadowParams.y);
    if (alpha <= 0.002) {
        discard;
    }
    FragColor = vec4(ShadowColor, alpha);
}
