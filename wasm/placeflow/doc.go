// Package placeflow is the logic of the viewer's "View in your room" and
// "Try on" flows, kept free of syscall/js so it is tested natively: the
// reference rectangles a shopper can measure with, the mapping between a
// photo and the box it is shown in, the room flow's steps and the
// place.* requests they build, sub-pixel refinement of clicked corners,
// face measurements for glasses (pupillary distance, iris, face width),
// the glasses overlay's placement, and the words the page shows and speaks.
package placeflow
