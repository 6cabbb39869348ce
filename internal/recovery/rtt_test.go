package recovery

import "testing"

const ms = int64(1e6)

func TestRTTInitial(t *testing.T) {
	var r RTTStats
	r.Reset()
	if r.Smoothed() != 333*ms || r.Variance() != 333*ms/2 || r.HasSample() || r.Min() != 0 {
		t.Fatalf("initial: srtt %d rttvar %d", r.Smoothed(), r.Variance())
	}
	// 333 + 4*166.5 = 999 ms; plus max_ack_delay 25 ms.
	if got := r.PTO(false); got != 999*ms {
		t.Errorf("PTO = %d, want 999 ms", got)
	}
	if got := r.PTO(true); got != 1024*ms {
		t.Errorf("PTO with ack delay = %d, want 1024 ms", got)
	}
}

func TestRTTUpdate(t *testing.T) {
	type sample struct {
		latest, ackDelay int64
		confirmed        bool
	}
	tests := []struct {
		name                   string
		samples                []sample
		wantMin, wantSmoothed  int64
		wantVariance, wantLast int64
	}{
		{"first sample", []sample{{100 * ms, 10 * ms, true}}, 100 * ms, 100 * ms, 50 * ms, 100 * ms},
		{"ack delay subtracted", []sample{{100 * ms, 0, true}, {200 * ms, 20 * ms, true}},
			// adjusted 180: rttvar (3*50+80)/4 = 57.5, srtt (7*100+180)/8 = 110
			100 * ms, 110 * ms, 57500000, 200 * ms},
		{"ack delay capped at max_ack_delay once confirmed", []sample{{100 * ms, 0, true}, {200 * ms, 100 * ms, true}},
			// delay 25 -> adjusted 175: rttvar (150+75)/4 = 56.25, srtt (700+175)/8 = 109.375
			100 * ms, 109375000, 56250000, 200 * ms},
		{"ack delay not capped before confirmation", []sample{{100 * ms, 0, false}, {200 * ms, 100 * ms, false}},
			// adjusted 100: rttvar (150+0)/4 = 37.5, srtt 100
			100 * ms, 100 * ms, 37500000, 200 * ms},
		{"adjustment never below min_rtt", []sample{{100 * ms, 0, true}, {110 * ms, 20 * ms, true}},
			// 110 < 100+20: adjusted 110: rttvar (150+10)/4 = 40, srtt 101.25
			100 * ms, 101250000, 40 * ms, 110 * ms},
		{"min_rtt tracks smallest", []sample{{100 * ms, 0, true}, {60 * ms, 0, true}},
			// rttvar (150+40)/4 = 47.5, srtt (700+60)/8 = 95
			60 * ms, 95 * ms, 47500000, 60 * ms},
		{"huge ack delay before confirmation", []sample{{100 * ms, 0, false}, {200 * ms, 1<<63 - 1, false}},
			// not subtracted: rttvar (150+100)/4 = 62.5, srtt 112.5
			100 * ms, 112500000, 62500000, 200 * ms},
		{"non-positive sample ignored", []sample{{100 * ms, 0, true}, {0, 0, true}, {-5, 0, true}},
			100 * ms, 100 * ms, 50 * ms, 100 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r RTTStats
			r.Reset()
			for i, s := range tt.samples {
				r.Update(int64(i)*ms, s.latest, s.ackDelay, s.confirmed)
			}
			if r.Min() != tt.wantMin || r.Smoothed() != tt.wantSmoothed ||
				r.Variance() != tt.wantVariance || r.Latest() != tt.wantLast {
				t.Errorf("min %d srtt %d rttvar %d latest %d; want %d %d %d %d",
					r.Min(), r.Smoothed(), r.Variance(), r.Latest(),
					tt.wantMin, tt.wantSmoothed, tt.wantVariance, tt.wantLast)
			}
		})
	}
}

func TestLossDelay(t *testing.T) {
	tests := []struct {
		latest, smoothed, want int64
	}{
		{80 * ms, 100 * ms, 112500000}, // 9/8 * smoothed
		{160 * ms, 100 * ms, 180 * ms}, // 9/8 * latest
		{100000, 200000, Granularity},  // at least kGranularity
	}
	for _, tt := range tests {
		r := RTTStats{latest: tt.latest, smoothed: tt.smoothed}
		if got := r.LossDelay(); got != tt.want {
			t.Errorf("LossDelay(latest %d, srtt %d) = %d, want %d", tt.latest, tt.smoothed, got, tt.want)
		}
	}
}

func TestPersistentCongestionDuration(t *testing.T) {
	r := RTTStats{smoothed: 100 * ms, variance: 10 * ms, MaxAckDelay: 25 * ms}
	// (100 + max(40, 1) + 25) * 3 = 495 ms
	if got := r.PersistentCongestionDuration(); got != 495*ms {
		t.Errorf("got %d, want 495 ms", got)
	}
	r.variance = 0 // the granularity floors the variance term
	if got := r.PersistentCongestionDuration(); got != 378*ms {
		t.Errorf("got %d, want 378 ms", got)
	}
}
