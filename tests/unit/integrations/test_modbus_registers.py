from openinspect.integrations.modbus import LastResult, ReasonCode, VerdictCode


def _roi(passes):
    return {"roi": "r", "type": "t", "class": "c", "confidence": 1.0, "pass": passes}


def test_failing_rois_set_their_bits_in_result_order():
    last = LastResult().after({"pass": False, "rois": [_roi(True), _roi(False), _roi(True), _roi(False)]})
    assert last == LastResult(VerdictCode.FAIL, 1, 0b1010, ReasonCode.ROI)


def test_only_the_first_16_rois_fit_the_mask():
    last = LastResult().after({"pass": False, "rois": [_roi(False)] * 20})
    assert last.roi_fail_mask == 0xFFFF


def test_reasons_follow_the_result_record():
    assert LastResult().after({"pass": True, "rois": []}).reason is ReasonCode.NONE
    assert LastResult().after({"pass": False, "reason": "alignment", "rois": []}).reason is ReasonCode.ALIGNMENT
    error = LastResult().after({"image": "x.png", "error": "corrupt"})
    assert (error.verdict, error.reason) == (VerdictCode.FAIL, ReasonCode.ERROR)


def test_a_skipped_trigger_counts_but_keeps_the_last_verdict():
    passed = LastResult().after({"pass": True, "rois": []})
    skipped = passed.after({"id": "s", "image": "", "skipped": "busy"})
    assert (skipped.verdict, skipped.reason, skipped.counter) == (VerdictCode.PASS, ReasonCode.SKIPPED, 2)


def test_result_counter_wraps_at_16_bits():
    assert LastResult(counter=0xFFFF).after({"pass": True, "rois": []}).counter == 0
