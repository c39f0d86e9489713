// Metallic-roughness PBR (vitrine_pbr): the vertex stage. Lighting runs
// in camera space, like g3n's lights; image-based lighting turns the
// normal and the reflection into world space (ViewToWorld).
#include <attributes>

// The texture coordinate sets no base colour mapping baked: raw
// TEXCOORD_0 and TEXCOORD_1, bound only when a texture reads them.
in vec2 VertexTexcoordRaw0;
in vec2 VertexTexcoordRaw1;

uniform mat4 ModelMatrix;
uniform mat4 ModelViewMatrix;
uniform mat3 NormalMatrix;
uniform mat4 MVP;

out vec3 Position;    // camera space
out vec3 Normal;      // camera space
out vec2 UvBase;      // the base colour's coordinates, transform applied
out vec2 UvRaw0;
out vec2 UvRaw1;
// Camera space to world space (the view matrix's rotation inverted),
// from the model and model-view matrices, so any camera g3n renders with
// (the viewer's or a WebXR view) lights with the same environment.
flat out mat3 ViewToWorld;

void main() {
    Position = vec3(ModelViewMatrix * vec4(VertexPosition, 1.0));
    Normal = normalize(NormalMatrix * VertexNormal);
    UvBase = VertexTexcoord;
    UvRaw0 = VertexTexcoordRaw0;
    UvRaw1 = VertexTexcoordRaw1;
    ViewToWorld = mat3(ModelMatrix) * inverse(mat3(ModelViewMatrix));
    gl_Position = MVP * vec4(VertexPosition, 1.0);
}
