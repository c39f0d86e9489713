// Ground contact shadow: a horizontal quad under the model. The quad's
// texture coordinates run 0..1 across it; the fragment shader turns them
// into an elliptical distance from the footprint's centre.
#include <attributes>

uniform mat4 MVP;

// Position on the quad, -1..1 on both axes: the ellipse's unit circle.
out vec2 Footprint;

void main() {
    Footprint = VertexTexcoord * 2.0 - 1.0;
    gl_Position = MVP * vec4(VertexPosition, 1.0);
}
