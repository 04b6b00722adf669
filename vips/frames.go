package vips

// frames runs framePipeline on the whole image or, for an animation, on
// each frame: libvips loads the frames stacked vertically (page-height
// tall each); they are cut apart, processed one by one (each frame gets its
// own smart crop, like imgproxy) and joined back, keeping the delays and
// the loop count.
func frames(st *state) error {
	if !st.animated {
		return runSteps(st, framePipeline)
	}
	whole := st.im
	defer func() { st.im = whole }()
	w, h := whole.width(), whole.height()
	ph := whole.getInt("page-height", h)
	n := h / ph
	delays := whole.getIntArray("delay")
	loop := whole.getInt("loop", 0)
	st.rawW, st.rawH = w, ph
	done := make([]*image, 0, n)
	defer func() {
		for _, fr := range done {
			fr.close()
		}
	}()
	for i := range n {
		fr, err := whole.area(0, i*ph, w, ph)
		if err != nil {
			return err
		}
		done = append(done, fr)
		st.im = fr
		if err := runSteps(st, framePipeline); err != nil {
			return err
		}
	}
	joined, err := arrayJoin(done)
	if err != nil {
		return err
	}
	whole.take(joined)
	setAnimation(whole, n, done[0].height(), delays, loop)
	return nil
}

// setAnimation writes the animation fields of a joined image: the frame
// height, one delay for each of the n frames (40 ms where the source had none) and the
// loop count.
func setAnimation(im *image, n, frameH int, delays []int, loop int) {
	im.setInt("page-height", frameH)
	d := make([]int, n)
	for i := range d {
		d[i] = 40
		if i < len(delays) && delays[i] > 0 {
			d[i] = delays[i]
		}
	}
	im.setIntArray("delay", d)
	im.setInt("loop", loop)
}
