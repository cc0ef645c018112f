import numpy as np
import pytest
from PIL import Image
from tests.conftest import DATASET, part_capture, png_bytes, write_png

from openinspect.dataset import decode_mask, import_masks
from openinspect.errors import DatasetError, ImageError
from openinspect.recipe import parse_recipe

RECIPE = parse_recipe("""
name: seam
types:
  - name: surface
    kind: segmenter
    pixel_classes: [{name: glue, color: "#ffd400"}, {name: scratch, color: "#ff3b30"}]
rois: [{name: all, type: surface}]
""")
SPEC = RECIPE.inspection_type("surface")


def test_index_mask_is_kept():
    mask = np.zeros((4, 6), np.uint8)
    mask[1, 2], mask[2, 3] = 1, 2
    np.testing.assert_array_equal(decode_mask(png_bytes(mask), "m.png", SPEC, (6, 4)), mask)


def test_binary_mask_maps_to_first_pixel_class():
    mask = np.zeros((4, 6), np.uint8)
    mask[0, :3] = 255
    decoded = decode_mask(png_bytes(mask), "m.png", SPEC, (6, 4))
    assert decoded.sum() == 3 and decoded.max() == 1


def test_rgb_mask_in_palette_colours():
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[0, 0] = (255, 212, 0)
    rgb[3, 5] = (255, 59, 48)
    decoded = decode_mask(png_bytes(rgb), "m.png", SPEC, (6, 4))
    assert decoded[0, 0] == 1 and decoded[3, 5] == 2 and decoded.sum() == 3


def test_colour_not_in_palette_is_named():
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[1, 1] = (0, 128, 255)
    with pytest.raises(ImageError, match=r"colours not in the palette \(#0080ff\).*glue #ffd400, scratch #ff3b30"):
        decode_mask(png_bytes(rgb), "m.png", SPEC, (6, 4))


def test_values_without_pixel_class_are_named():
    mask = np.zeros((4, 6), np.uint8)
    mask[0, 0] = 7
    with pytest.raises(ImageError, match=r"values \[7\] with no pixel class; expected 0 = background, 1 = glue, "
                                         r"2 = scratch"):
        decode_mask(png_bytes(mask), "m.png", SPEC, (6, 4))


def test_mask_size_must_match_image():
    with pytest.raises(ImageError, match="mask m.png is 6x4 px but its image is 8x4 px"):
        decode_mask(png_bytes(np.zeros((4, 6), np.uint8)), "m.png", SPEC, (8, 4))


def test_import_pairs_by_stem_and_missing_mask_policy(workspace, tmp_path):
    images, masks = tmp_path / "img", tmp_path / "mask"
    for i in range(3):
        write_png(images / f"c{i}.png", part_capture(i == 0, i))
    defect = np.zeros((96, 128), np.uint8)
    defect[40:46, 15:113] = 255
    write_png(masks / "c0.png", defect)
    write_png(masks / "c1.png", np.zeros((96, 128), np.uint8))
    with pytest.raises(DatasetError, match=r"c2.png has no mask .*--missing-mask-is-background"):
        import_masks(workspace, RECIPE, SPEC, images, masks)
    assert workspace.masks("seam", "surface") == []
    report = import_masks(workspace, RECIPE, SPEC, images, masks, missing_is_background=True)
    assert (report.added, report.with_defects) == (3, 1)
    stored = workspace.masks("seam", "surface")
    assert len(stored) == 3
    first = np.asarray(Image.open(stored[0][1]))
    assert first.shape == (96, 128) and first.sum() == 6 * 98
    again = import_masks(workspace, RECIPE, SPEC, images, masks, missing_is_background=True)
    assert (again.added, again.already_present) == (0, 3) and len(workspace.masks("seam", "surface")) == 3


def test_empty_folder_is_refused(workspace, tmp_path):
    (tmp_path / "img").mkdir()
    with pytest.raises(DatasetError, match="no captures found"):
        import_masks(workspace, RECIPE, SPEC, tmp_path / "img", tmp_path / "img")


@pytest.mark.skipif(not DATASET.is_dir(), reason="magnetic-tile dataset not beside the repo (../shared/datasets)")
def test_magnetic_tile_folder_with_images_and_masks_side_by_side(workspace, tmp_path):
    folder = tmp_path / "crack"
    folder.mkdir()
    for jpg in sorted((DATASET / "MT_Crack" / "Imgs").glob("*.jpg"))[:3]:
        (folder / jpg.name).write_bytes(jpg.read_bytes())
        (folder / f"{jpg.stem}.png").write_bytes(jpg.with_suffix(".png").read_bytes())
    report = import_masks(workspace, RECIPE, SPEC, folder, folder)
    assert report.added == 3 and report.with_defects == 3


def test_binary_mask_with_soft_edges_is_thresholded():
    mask = np.zeros((20, 20), np.uint8)
    mask[5:10, 5:10] = 255
    mask[5, 10] = 200  # anti-aliased edge pixel
    mask[5, 11] = 60
    decoded = decode_mask(png_bytes(mask), "m.png", SPEC, (20, 20))
    assert decoded.sum() == 26 and decoded[5, 11] == 0


def test_anti_aliased_outline_of_a_large_defect_is_an_edge_however_long():
    """magnetic-tile's masks: a 255 region ringed by a 1-2 px gradient that is 3 % of the image."""
    mask = np.zeros((40, 40), np.uint8)
    mask[8:32, 8:32] = 255
    mask[7, 8:32] = mask[32, 8:32] = mask[8:32, 7] = mask[8:32, 32] = 120   # the ring: 96 px = 6 %
    decoded = decode_mask(png_bytes(mask), "m.png", SPEC, (40, 40))
    assert decoded.sum() == 24 * 24 and decoded[7, 10] == 0
    mask[0:3, 0:40] = 120   # in-between values far from the defect: 7.5 %, not an edge
    with pytest.raises(ImageError, match="no pixel class"):
        decode_mask(png_bytes(mask), "m.png", SPEC, (40, 40))
